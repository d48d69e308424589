// SHA-256 with OpenSSL 3's EVP digest API.
#include "engine/base/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "engine/base/fd.h"
#include "engine/base/fs.h"

namespace engine {

struct Sha256::State {
    EVP_MD_CTX* ctx { nullptr };
};

Sha256::Sha256()
    : m_state(std::make_unique<State>())
{
    m_state->ctx = EVP_MD_CTX_new();
    VERIFY(m_state->ctx != nullptr);
    VERIFY(EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(m_state->ctx); }

void Sha256::update(const void* data, size_t size) { EVP_DigestUpdate(m_state->ctx, data, size); }

std::string Sha256::finish_hex()
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_state->ctx, digest, &length);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 15];
    }
    return out;
}

std::string Sha256::hex(std::string_view data)
{
    Sha256 hasher;
    hasher.update(data.data(), data.size());
    return hasher.finish_hex();
}

Result<std::string> Sha256::hex_of_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid())
        return Error::from_errno("open " + path, errno);
    Sha256 hasher;
    TRY(fs::read_chunks(fd.get(), path, [&](std::string_view chunk) { hasher.update(chunk.data(), chunk.size()); }));
    return hasher.finish_hex();
}

} // namespace engine
