// The none driver: the one built-in `none` network. A container on it keeps a sandbox with
// loopback only; the endpoint is only recorded, for inspect.
#include "engine/network/drivers/drivers.h"

namespace engine::network {

namespace {

class NoneDriver final : public Driver {
public:
    [[nodiscard]] std::string_view name() const override { return "none"; }

    Result<void> check_create(const sys::KernelFeatures&, const DriverOptions&) const override
    {
        return Error::make(ErrorKind::PermissionDenied, "only one instance of \"none\" network is allowed");
    }

    [[nodiscard]] bool has_endpoints() const override { return false; }
};

} // namespace

std::unique_ptr<Driver> make_none_driver()
{
    return std::make_unique<NoneDriver>();
}

} // namespace engine::network
