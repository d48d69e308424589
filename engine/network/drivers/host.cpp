// The host driver: the one built-in `host` network. A container on it shares the host's network
// namespace, so joining makes nothing; the endpoint is only recorded, for inspect.
#include "engine/network/drivers/drivers.h"

namespace engine::network {

namespace {

class HostDriver final : public Driver {
public:
    [[nodiscard]] std::string_view name() const override { return "host"; }

    Result<void> check_create(const sys::KernelFeatures&, const DriverOptions&) const override
    {
        return Error::make(ErrorKind::PermissionDenied, "only one instance of \"host\" network is allowed");
    }

    [[nodiscard]] bool has_endpoints() const override { return false; }

    [[nodiscard]] std::vector<std::string> warnings() const override
    {
        return { "host networking: containers share the host's network namespace, so network isolation is gone" };
    }
};

} // namespace

std::unique_ptr<Driver> make_host_driver()
{
    return std::make_unique<HostDriver>();
}

} // namespace engine::network
