// Device cgroup rules (see devices.h).
#include "engine/runtime/devices.h"

#include <linux/bpf.h>

#include <cstddef>
#include <cstdint>

#include "engine/base/strings.h"

namespace engine::runtime {

static bool number_or_star(const std::string& text)
{
    if (text == "*")
        return true;
    if (text.empty() || text.size() > 10)
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

Result<void> check_device_rule(const std::string& rule)
{
    auto bad = [&] { return Error::invalid("invalid device cgroup rule format: '" + rule + "'"); };
    auto fields = strings::split(rule, ' ');
    if (fields.size() != 3 || fields[0].size() != 1 || std::string("abc").find(fields[0][0]) == std::string::npos)
        return bad();
    auto colon = fields[1].find(':');
    if (colon == std::string::npos || !number_or_star(fields[1].substr(0, colon)) || !number_or_star(fields[1].substr(colon + 1)))
        return bad();
    const auto& access = fields[2];
    if (access.empty() || access.size() > 3)
        return bad();
    for (char c : access)
        if (c != 'r' && c != 'w' && c != 'm')
            return bad();
    return Ok {};
}

const std::vector<std::string>& default_device_rules()
{
    static const std::vector<std::string> rules {
        "c *:* m", "b *:* m",   // mknod of any node (using one still needs an allow rule)
        "c 1:3 rwm",            // /dev/null
        "c 1:5 rwm",            // /dev/zero
        "c 1:7 rwm",            // /dev/full
        "c 1:8 rwm",            // /dev/random
        "c 1:9 rwm",            // /dev/urandom
        "c 5:0 rwm",            // /dev/tty
        "c 5:1 rwm",            // /dev/console
        "c 5:2 rwm",            // /dev/ptmx
        "c 136:* rwm",          // /dev/pts/*
        "c 10:200 rwm",         // /dev/net/tun
    };
    return rules;
}

namespace {

// Registers: r1 is the context on entry (and scratch once it is read), r0 the verdict.
constexpr std::uint8_t k_ctx = 1, k_type = 2, k_access = 3, k_major = 4, k_minor = 5, k_scratch = 1;

sys::BpfInstruction load_ctx_word(std::uint8_t dst, std::int16_t offset)
{
    return { BPF_LDX | BPF_MEM | BPF_W, dst, k_ctx, offset, 0 };
}
sys::BpfInstruction alu32_imm(std::uint8_t op, std::uint8_t dst, std::int32_t imm)
{
    return { static_cast<std::uint8_t>(BPF_ALU | op | BPF_K), dst, 0, 0, imm };
}
// A forward jump out of the rule's block when `dst` differs; its offset is filled in once the
// block's length is known.
sys::BpfInstruction skip_unless_equal_imm(std::uint8_t dst, std::int32_t imm)
{
    return { BPF_JMP | BPF_JNE | BPF_K, dst, 0, -1, imm };
}
sys::BpfInstruction skip_unless_equal_reg(std::uint8_t dst, std::uint8_t src)
{
    return { BPF_JMP | BPF_JNE | BPF_X, dst, src, -1, 0 };
}
void append_return(std::vector<sys::BpfInstruction>& out, std::int32_t verdict)
{
    out.push_back({ BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, verdict });
    out.push_back({ BPF_JMP | BPF_EXIT, 0, 0, 0, 0 });
}

// A major or minor number as the program compares it: -1 for "*". The kernel's numbers fit in
// 32 bits (12 and 20 bits in fact); the immediate is a signed 32-bit field, so larger ones are
// refused rather than compared wrongly.
Result<std::int64_t> device_number(const std::string& text, const std::string& rule, const char* which)
{
    if (text == "*")
        return std::int64_t { -1 };
    auto value = std::stoull(text);
    if (value > 0x7fffffffULL)
        return Error::invalid("device cgroup rule '" + rule + "': " + which + " number " + text + " is out of range");
    return static_cast<std::int64_t>(value);
}

} // namespace

Result<std::vector<sys::BpfInstruction>> device_filter_program(const std::vector<std::string>& rules)
{
    std::vector<sys::BpfInstruction> program {
        load_ctx_word(k_type, offsetof(bpf_cgroup_dev_ctx, access_type)),
        alu32_imm(BPF_AND, k_type, 0xffff),
        load_ctx_word(k_access, offsetof(bpf_cgroup_dev_ctx, access_type)),
        alu32_imm(BPF_RSH, k_access, 16),
        load_ctx_word(k_major, offsetof(bpf_cgroup_dev_ctx, major)),
        load_ctx_word(k_minor, offsetof(bpf_cgroup_dev_ctx, minor)),
    };
    for (const auto& rule : rules) {
        TRY(check_device_rule(rule));
        auto fields = strings::split(rule, ' ');
        auto colon = fields[1].find(':');
        auto major = TRY(device_number(fields[1].substr(0, colon), rule, "major"));
        auto minor = TRY(device_number(fields[1].substr(colon + 1), rule, "minor"));
        std::int32_t access = 0;
        for (char c : fields[2])
            access |= c == 'r' ? BPF_DEVCG_ACC_READ : c == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;

        std::vector<sys::BpfInstruction> block;
        if (fields[0] != "a")
            block.push_back(skip_unless_equal_imm(k_type, fields[0] == "c" ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
        if (access != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
            // Every bit asked for must be in the rule: (asked & rule) == asked.
            block.push_back({ BPF_ALU | BPF_MOV | BPF_X, k_scratch, k_access, 0, 0 });
            block.push_back(alu32_imm(BPF_AND, k_scratch, access));
            block.push_back(skip_unless_equal_reg(k_scratch, k_access));
        }
        if (major >= 0)
            block.push_back(skip_unless_equal_imm(k_major, static_cast<std::int32_t>(major)));
        if (minor >= 0)
            block.push_back(skip_unless_equal_imm(k_minor, static_cast<std::int32_t>(minor)));
        bool unconditional = block.empty();
        append_return(block, 1);
        // A skip lands on the first instruction after the block (offsets count from the next one).
        for (std::size_t i = 0; i < block.size(); ++i)
            if (block[i].offset == -1)
                block[i].offset = static_cast<std::int16_t>(block.size() - i - 1);
        program.insert(program.end(), block.begin(), block.end());
        // "a *:* rwm" allows everything: the verifier refuses unreachable instructions, so the
        // rules after it (and the final deny) are left out.
        if (unconditional)
            return program;
    }
    append_return(program, 0);
    return program;
}

} // namespace engine::runtime
