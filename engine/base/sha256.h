// SHA-256 through OpenSSL's SHA-256 functions: whole buffers, files, and an incremental hasher
// for streams (layer tars are hashed while they are written).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "engine/base/result.h"

namespace engine {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, size_t size);
    // 64 lowercase hex characters. The hasher cannot be updated afterwards.
    std::string finish_hex();

    static std::string hex(std::string_view data);
    static Result<std::string> hex_of_file(const std::string& path);

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace engine
