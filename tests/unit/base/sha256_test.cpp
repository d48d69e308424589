#include "engine/base/sha256.h"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

using engine::Sha256;

// FIPS 180-2's test vectors, so a change of the implementation behind Sha256 cannot change a
// digest (image and layer ids are these digests).
TEST(Sha256, MatchesTheStandardTestVectors)
{
    EXPECT_EQ(Sha256::hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Sha256::hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Sha256::hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalUpdatesInUnevenChunksGiveTheWholeBuffersDigest)
{
    // A million 'a's, fed in chunks that straddle the 64-byte block boundary.
    std::string chunk(997, 'a');
    Sha256 hasher;
    std::size_t left = 1000000;
    while (left > 0) {
        auto size = std::min(left, chunk.size());
        hasher.update(chunk.data(), size);
        left -= size;
    }
    EXPECT_EQ(hasher.finish_hex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
