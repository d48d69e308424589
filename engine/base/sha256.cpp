// SHA-256 with OpenSSL's direct SHA256_Init/Update/Final functions rather than its EVP interface.
// OpenSSL 3 deprecates them in favour of EVP, but the first EVP digest sets up the whole library
// context (configuration file, default provider, method store and name map): about 2 MiB of
// libcrypto that stays resident in a long-running glassboxd that only ever hashes with SHA-256.
// The direct functions run the same assembly (SHA-NI or AVX2, chosen at load time) with none of it.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "engine/base/sha256.h"

#include <fcntl.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "engine/base/fd.h"
#include "engine/base/fs.h"

namespace engine {

struct Sha256::State {
    SHA256_CTX ctx {};
};

Sha256::Sha256()
    : m_state(std::make_unique<State>())
{
    VERIFY(SHA256_Init(&m_state->ctx) == 1);
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) { SHA256_Update(&m_state->ctx, data, size); }

std::string Sha256::finish_hex()
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, &m_state->ctx);
    static const char* digits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * SHA256_DIGEST_LENGTH);
    for (unsigned char byte : digest) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
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
