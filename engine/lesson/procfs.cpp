// Host /proc paths of a lesson command (procfs.h). A small reader of the POSIX shell language,
// enough to know what each word is: it copies the command through unchanged and, where a word
// that the runner's shell will hand to a host program begins with /proc, writes the procfs
// folder in place of those five characters, quoted for the quoting it lands in.
#include "engine/lesson/procfs.h"

#include <algorithm>
#include <string_view>
#include <vector>

namespace engine::lesson {

namespace {

constexpr std::string_view k_proc = "/proc";

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_operator(char c) { return std::string_view(";&|()<>\n").find(c) != std::string_view::npos; }

bool is_name(std::string_view text)
{
    if (text.empty() || (text[0] >= '0' && text[0] <= '9'))
        return false;
    for (char c : text) {
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

// Words that leave the shell looking for a command name: reserved words that open a compound
// command, and programs that run the rest of their arguments as a command.
bool keeps_command_position(std::string_view word)
{
    for (std::string_view keep : { "if", "then", "else", "elif", "do", "while", "until", "!", "{", "}", "fi", "done",
             "esac", "exec", "command", "env", "nohup", "time", "nice", "sudo" }) {
        if (word == keep)
            return true;
    }
    return false;
}

bool is_glassbox(std::string_view command_word)
{
    auto slash = command_word.rfind('/');
    return command_word.substr(slash == std::string_view::npos ? 0 : slash + 1) == "glassbox";
}

enum class Quote { None, Single, Double };

// What a word is to the command it belongs to.
enum class Role {
    HostPath,    // An argument of a host program, or a redirection's target: rewritten.
    CommandName, // The word in command position: only an assignment's value is rewritten.
    Container,   // An argument of glassbox: the container's, kept.
    Delimiter,   // A here-document's delimiter: kept.
};

class Rewriter {
public:
    Rewriter(std::string_view in, std::string_view procfs)
        : m_in(in)
        , m_procfs(procfs)
    {
    }

    ProcfsRewrite run()
    {
        list('\0');
        return { std::move(m_out), m_paths };
    }

private:
    char peek(size_t ahead = 0) const { return m_pos + ahead < m_in.size() ? m_in[m_pos + ahead] : '\0'; }
    bool at_end() const { return m_pos >= m_in.size(); }
    bool word_ends_at(size_t at) const { return at >= m_in.size() || is_blank(m_in[at]) || is_operator(m_in[at]); }
    void copy(size_t count = 1)
    {
        count = std::min(count, m_in.size() - m_pos);
        m_out.append(m_in.substr(m_pos, count));
        m_pos += count;
    }

    // A command list up to `terminator` (consumed): '\0' the end of the text, ')' the end of a
    // $( ... ), '`' the end of a `...`. Each simple command starts in command position.
    void list(char terminator)
    {
        bool command_position = true;
        bool glassbox = false;
        while (!at_end()) {
            char c = peek();
            if (terminator != '\0' && c == terminator) {
                copy();
                return;
            }
            if (is_blank(c)) {
                copy();
            } else if (c == '\\' && peek(1) == '\n') {
                copy(2);
            } else if (c == '#') {
                while (!at_end() && peek() != '\n')
                    copy();
            } else if (c == '\n') {
                copy();
                here_document_bodies();
                command_position = true;
                glassbox = false;
            } else if (c == '<' || c == '>' || (c >= '0' && c <= '9' && redirection_after_digits())) {
                redirection();
            } else if (is_operator(c)) {
                // ; & | && || ;; ( ): the next word starts a command.
                copy();
                command_position = true;
                glassbox = false;
            } else if (command_position) {
                std::string text = word(Role::CommandName);
                auto equals = text.find('=');
                bool assignment = equals != std::string::npos && is_name(std::string_view(text).substr(0, equals));
                bool option_of_wrapper = !text.empty() && text[0] == '-';
                if (!assignment && !option_of_wrapper && !keeps_command_position(text)) {
                    command_position = false;
                    glassbox = is_glassbox(text);
                }
            } else {
                word(glassbox ? Role::Container : Role::HostPath);
            }
        }
    }

    // Digits right before < or > are the file descriptor of a redirection (2>/dev/null).
    bool redirection_after_digits() const
    {
        size_t at = m_pos;
        while (at < m_in.size() && m_in[at] >= '0' && m_in[at] <= '9')
            ++at;
        return at < m_in.size() && (m_in[at] == '<' || m_in[at] == '>')
            && (m_pos == 0 || is_blank(m_in[m_pos - 1]) || is_operator(m_in[m_pos - 1]));
    }

    // < > >> <> >| <& >& << <<-, then the word it applies to. The runner's shell opens the
    // target itself, on the host, whichever command the redirection belongs to.
    void redirection()
    {
        while (peek() >= '0' && peek() <= '9')
            copy();
        bool here_document = peek() == '<' && peek(1) == '<';
        bool strip_tabs = here_document && peek(2) == '-';
        copy(here_document ? (strip_tabs ? 3 : 2) : 1);
        if (!here_document && std::string_view(">&|").find(peek()) != std::string_view::npos && peek() != '\0')
            copy();
        while (is_blank(peek()))
            copy();
        if (word_ends_at(m_pos))
            return; // A syntax error the shell will report; nothing to read.
        if (here_document)
            m_here_documents.push_back({ word(Role::Delimiter), strip_tabs });
        else
            word(Role::HostPath);
    }

    // Copies the bodies of the here-documents opened on the line just ended, unchanged.
    void here_document_bodies()
    {
        for (auto& [delimiter, strip_tabs] : m_here_documents) {
            while (!at_end()) {
                size_t end = m_in.find('\n', m_pos);
                std::string_view line = m_in.substr(m_pos, end == std::string_view::npos ? std::string_view::npos : end - m_pos);
                copy(line.size() + (end == std::string_view::npos ? 0 : 1));
                if (strip_tabs)
                    line.remove_prefix(std::min(line.find_first_not_of('\t'), line.size()));
                if (line == delimiter)
                    break;
            }
        }
        m_here_documents.clear();
    }

    // One word, copied; returns its text with quotes removed (expansions kept as written), which
    // is what decides a command name.
    std::string word(Role role)
    {
        std::string text;
        bool expanded = false; // An expansion came before: what follows is no longer a path's start.
        // Where a host path may start: the word's start, or just after the first '=' of an
        // assignment or option (NAME=/proc/..., --file=/proc/...).
        auto path_may_start = [&] {
            if (expanded || role == Role::Container || role == Role::Delimiter)
                return false;
            if (text.empty())
                return role == Role::HostPath;
            auto equals = text.find('=');
            if (equals != text.size() - 1)
                return false;
            return role == Role::HostPath || is_name(std::string_view(text).substr(0, equals));
        };
        while (!word_ends_at(m_pos)) {
            char c = peek();
            if (c == '\\') {
                copy();
                if (!at_end()) {
                    text += peek();
                    copy();
                }
            } else if (c == '\'') {
                copy();
                if (path_may_start())
                    proc_path(Quote::Single, text);
                while (!at_end() && peek() != '\'') {
                    text += peek();
                    copy();
                }
                copy();
            } else if (c == '"') {
                copy();
                double_quoted(text, expanded, path_may_start);
                copy();
            } else if (c == '$' || c == '`') {
                expansion(text);
                expanded = true;
            } else {
                if (path_may_start() && proc_path(Quote::None, text))
                    continue;
                text += c;
                copy();
            }
        }
        return text;
    }

    template <typename MayStart>
    void double_quoted(std::string& text, bool& expanded, MayStart may_start)
    {
        if (may_start())
            proc_path(Quote::Double, text);
        while (!at_end() && peek() != '"') {
            char c = peek();
            if (c == '\\') {
                copy();
                text += peek();
                copy();
            } else if (c == '$' || c == '`') {
                expansion(text);
                expanded = true;
            } else {
                text += c;
                copy();
            }
        }
    }

    // $name, ${...}, $(( ... )), $( ... ) and `...`; the last two are commands of their own.
    void expansion(std::string& text)
    {
        text += peek();
        if (peek() == '`') {
            copy();
            list('`');
        } else if (peek(1) == '(' && peek(2) == '(') {
            copy(3);
            balanced('(', ')', 2);
        } else if (peek(1) == '(') {
            copy(2);
            list(')');
        } else if (peek(1) == '{') {
            copy(2);
            balanced('{', '}', 1);
        } else {
            copy();
        }
    }

    // Copies up to `depth` unmatched closing characters (arithmetic, parameter expansion).
    void balanced(char open, char close, int depth)
    {
        while (!at_end() && depth > 0) {
            if (peek() == open)
                ++depth;
            else if (peek() == close)
                --depth;
            copy();
        }
    }

    // At a point where a host path may start: when the text here is /proc, alone or followed by
    // a '/', writes the procfs in its place (quoted for `quote`) and returns true.
    bool proc_path(Quote quote, std::string& text)
    {
        if (m_in.substr(m_pos, k_proc.size()) != k_proc)
            return false;
        size_t after = m_pos + k_proc.size();
        char next = after < m_in.size() ? m_in[after] : '\0';
        bool ends = next == '/';
        if (quote == Quote::None)
            ends = ends || word_ends_at(after);
        else
            ends = ends || (next == (quote == Quote::Single ? '\'' : '"') && word_ends_at(after + 1));
        if (!ends)
            return false;
        m_out += quoted(quote);
        m_pos = after;
        text += k_proc;
        ++m_paths;
        return true;
    }

    std::string quoted(Quote quote) const
    {
        std::string out;
        switch (quote) {
        case Quote::Single:
            for (char c : m_procfs)
                out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            return out;
        case Quote::Double:
            for (char c : m_procfs) {
                if (c == '\\' || c == '"' || c == '$' || c == '`')
                    out += '\\';
                out += c;
            }
            return out;
        case Quote::None:
            break;
        }
        bool plain = m_procfs.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_.,+:@%-")
            == std::string_view::npos;
        if (plain)
            return std::string(m_procfs);
        return "'" + quoted(Quote::Single) + "'";
    }

    std::string_view m_in;
    std::string_view m_procfs;
    size_t m_pos { 0 };
    std::string m_out;
    int m_paths { 0 };
    struct HereDocument {
        std::string delimiter;
        bool strip_tabs { false };
    };
    std::vector<HereDocument> m_here_documents;
};

} // namespace

ProcfsRewrite rewrite_procfs(const std::string& command, const std::string& procfs)
{
    return Rewriter(command, procfs).run();
}

std::string with_procfs(const std::string& command, const std::string& procfs)
{
    return rewrite_procfs(command, procfs).command;
}

bool reads_host_procfs(const std::string& command) { return rewrite_procfs(command, "/proc").paths > 0; }

std::string simulated_procfs_note(const std::vector<std::string>& commands, const std::string& procfs)
{
    std::string typed;
    for (const auto& command : commands) {
        ProcfsRewrite rewritten = rewrite_procfs(command, procfs);
        if (rewritten.paths == 0)
            continue;
        // An indented Markdown code block, one line per line of the command.
        typed += "\n    ";
        for (char c : rewritten.command)
            typed += c == '\n' ? std::string("\n    ") : std::string(1, c);
    }
    if (typed.empty())
        return {};
    return "\n\n**On the simulated kernel** the containers' processes live inside glassboxd, not in this "
           "machine's `/proc`: a PID that `glassbox inspect` prints is a simulated one, which here is some other "
           "process or none. glassboxd writes each simulated process's `status`, `stat`, `cmdline`, `cgroup`, "
           "`mountinfo` and `ns/` links (nothing else of procfs) under `"
        + procfs + "`, and `glassbox lesson run` reads from there. To type this step's commands yourself:\n"
        + typed
        + "\n\nInside a container, `/proc` is the container's own view (`glassbox exec NAME cat /proc/1/status`).\n";
}

} // namespace engine::lesson
