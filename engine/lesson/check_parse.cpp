// Parser of the check language: a hand-written recursive descent over the check text, one
// function per grammar rule of lessons/README.md, then a type pass that resolves every `.field`
// against engine/lesson/schema.h so a misspelt field fails when the lesson loads, not when a
// learner runs `check`. Every error carries the offset of the token at fault.
#include <algorithm>
#include <cctype>

#include "engine/lesson/check.h"
#include "engine/lesson/schema.h"

namespace engine::lesson {

namespace {

struct Failure {
    ParseError error;
};

[[noreturn]] void fail(size_t offset, std::string message)
{
    throw Failure { { offset, std::move(message) } };
}

bool is_ident_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Characters of a bare word inside selector arguments: names, image refs, CIDRs, ids.
bool is_bare_char(char c)
{
    return is_ident_char(c) || c == '.' || c == ':' || c == '/' || c == '@' || c == '+' || c == '-';
}

std::string join_names(const std::vector<std::string>& names)
{
    std::string out;
    for (auto& name : names)
        out += (out.empty() ? "" : ", ") + name;
    return out;
}

class Parser {
public:
    explicit Parser(std::string_view text)
        : m_text(text)
    {
    }

    NodePtr parse()
    {
        NodePtr root = parse_or();
        skip_space();
        if (m_pos < m_text.size())
            fail(m_pos, "unexpected '" + describe_here() + "' after the end of the check");
        return root;
    }

private:
    std::string_view m_text;
    size_t m_pos { 0 };

    void skip_space()
    {
        while (m_pos < m_text.size() && std::isspace(static_cast<unsigned char>(m_text[m_pos])))
            ++m_pos;
    }

    std::string describe_here()
    {
        if (m_pos >= m_text.size())
            return "end of check";
        size_t end = m_pos;
        if (is_ident_char(m_text[end])) {
            while (end < m_text.size() && is_ident_char(m_text[end]))
                ++end;
        } else {
            end = m_pos + 1;
        }
        return std::string(m_text.substr(m_pos, end - m_pos));
    }

    // The identifier at the cursor without consuming it ("" when there is none).
    std::string peek_ident()
    {
        skip_space();
        size_t end = m_pos;
        while (end < m_text.size() && is_ident_char(m_text[end]))
            ++end;
        return std::string(m_text.substr(m_pos, end - m_pos));
    }

    // True (and consumed) when the next token is the keyword `word` as a whole word.
    bool accept_word(std::string_view word)
    {
        if (peek_ident() != word)
            return false;
        m_pos += word.size();
        return true;
    }

    bool accept(std::string_view symbol)
    {
        skip_space();
        if (m_text.substr(m_pos, symbol.size()) != symbol)
            return false;
        m_pos += symbol.size();
        return true;
    }

    void expect(std::string_view symbol, const std::string& context)
    {
        if (!accept(symbol))
            fail(m_pos, "expected '" + std::string(symbol) + "' " + context + ", found '" + describe_here() + "'");
    }

    std::shared_ptr<Node> make(NodeKind kind, size_t offset)
    {
        auto node = std::make_shared<Node>();
        node->kind = kind;
        node->offset = offset;
        return node;
    }

    void finish(const std::shared_ptr<Node>& node)
    {
        size_t end = m_pos;
        while (end > node->offset && std::isspace(static_cast<unsigned char>(m_text[end - 1])))
            --end;
        node->text = std::string(m_text.substr(node->offset, end - node->offset));
    }

    NodePtr parse_or()
    {
        skip_space();
        size_t start = m_pos;
        NodePtr left = parse_and();
        while (accept_word("or")) {
            auto node = make(NodeKind::Or, start);
            node->children = { left, parse_and() };
            finish(node);
            left = node;
        }
        return left;
    }

    NodePtr parse_and()
    {
        skip_space();
        size_t start = m_pos;
        NodePtr left = parse_not();
        while (accept_word("and")) {
            auto node = make(NodeKind::And, start);
            node->children = { left, parse_not() };
            finish(node);
            left = node;
        }
        return left;
    }

    NodePtr parse_not()
    {
        skip_space();
        size_t start = m_pos;
        if (accept_word("not")) {
            auto node = make(NodeKind::Not, start);
            node->children = { parse_not() };
            finish(node);
            return node;
        }
        return parse_compare();
    }

    bool accept_op(CompareOp& op)
    {
        static const std::pair<std::string_view, CompareOp> symbols[] = { { "==", CompareOp::Eq },
            { "!=", CompareOp::Ne }, { "<=", CompareOp::Le }, { ">=", CompareOp::Ge },
            { "<", CompareOp::Lt }, { ">", CompareOp::Gt } };
        for (auto& [symbol, value] : symbols) {
            if (accept(symbol)) {
                op = value;
                return true;
            }
        }
        static const std::pair<std::string_view, CompareOp> words[] = { { "in", CompareOp::In },
            { "contains", CompareOp::Contains }, { "shared_with", CompareOp::SharedWith },
            { "matches", CompareOp::Matches } };
        for (auto& [word, value] : words) {
            if (accept_word(word)) {
                op = value;
                return true;
            }
        }
        return false;
    }

    NodePtr parse_compare()
    {
        skip_space();
        size_t start = m_pos;
        NodePtr left = parse_value();
        CompareOp op {};
        if (!accept_op(op))
            return left;
        auto node = make(NodeKind::Compare, start);
        node->op = op;
        node->children = { left, parse_value() };
        finish(node);
        skip_space();
        size_t at = m_pos;
        CompareOp second {};
        if (accept_op(second))
            fail(at, "comparisons do not chain: put parentheses around one of them");
        return node;
    }

    NodePtr parse_value()
    {
        skip_space();
        size_t start = m_pos;
        NodePtr value = parse_primary();
        while (true) {
            skip_space();
            if (accept(".")) {
                skip_space();
                size_t at = m_pos;
                std::string field = peek_ident();
                if (field.empty())
                    fail(at, "expected a field name after '.', found '" + describe_here() + "'");
                m_pos += field.size();
                auto node = make(NodeKind::Field, start);
                node->name = field;
                node->children = { value };
                finish(node);
                node->name_offset = at;
                value = node;
            } else if (accept("[")) {
                skip_space();
                size_t at = m_pos;
                bool negative = accept("-");
                skip_space();
                size_t digits = m_pos;
                while (m_pos < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_pos])))
                    ++m_pos;
                if (digits == m_pos)
                    fail(at, "expected a whole number index inside [ ], found '" + describe_here() + "'");
                // std::stol throws past its range (found by the lesson fuzzer); no list is that long.
                if (m_pos - digits > 9)
                    fail(at, "index inside [ ] is too large");
                long index = std::stol(std::string(m_text.substr(digits, m_pos - digits)));
                expect("]", "after the index");
                auto node = make(NodeKind::Index, start);
                node->index = negative ? -index : index;
                node->children = { value };
                finish(node);
                node->name_offset = at;
                value = node;
            } else {
                return value;
            }
        }
    }

    NodePtr parse_string()
    {
        size_t start = m_pos;
        ++m_pos; // The opening quote.
        std::string out;
        while (true) {
            if (m_pos >= m_text.size())
                fail(start, "string is not closed (missing '\"')");
            char c = m_text[m_pos++];
            if (c == '"')
                break;
            if (c == '\\' && m_pos < m_text.size()) {
                char next = m_text[m_pos++];
                out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
                continue;
            }
            out += c;
        }
        auto node = make(NodeKind::Literal, start);
        node->literal = out;
        finish(node);
        return node;
    }

    NodePtr parse_number()
    {
        size_t start = m_pos;
        if (m_text[m_pos] == '-')
            ++m_pos;
        bool fraction = false;
        while (m_pos < m_text.size()
            && (std::isdigit(static_cast<unsigned char>(m_text[m_pos])) || (m_text[m_pos] == '.' && !fraction))) {
            fraction = fraction || m_text[m_pos] == '.';
            ++m_pos;
        }
        std::string digits(m_text.substr(start, m_pos - start));
        if (digits == "-" || digits.back() == '.')
            fail(start, "malformed number '" + digits + "'");
        // std::stoll and std::stod throw past their range (found by the lesson fuzzer).
        if (digits.size() > (fraction ? 300U : 18U))
            fail(start, "number '" + digits.substr(0, 40) + "...' is too large");
        auto node = make(NodeKind::Literal, start);
        if (fraction)
            node->literal = std::stod(digits);
        else
            node->literal = std::stoll(digits);
        finish(node);
        return node;
    }

    NodePtr parse_primary()
    {
        skip_space();
        size_t start = m_pos;
        if (m_pos >= m_text.size())
            fail(m_pos, "expected a value, found the end of the check");
        char c = m_text[m_pos];
        if (c == '"')
            return parse_string();
        if (std::isdigit(static_cast<unsigned char>(c))
            || (c == '-' && m_pos + 1 < m_text.size() && std::isdigit(static_cast<unsigned char>(m_text[m_pos + 1]))))
            return parse_number();
        if (c == '(') {
            ++m_pos;
            NodePtr inner = parse_or();
            expect(")", "to close '(' at column " + std::to_string(start + 1));
            return inner;
        }
        if (c == '[') {
            ++m_pos;
            auto node = make(NodeKind::List, start);
            if (!accept("]")) {
                do
                    node->children.push_back(parse_or());
                while (accept(","));
                expect("]", "to close the list");
            }
            finish(node);
            return node;
        }
        std::string word = peek_ident();
        if (word.empty())
            fail(m_pos, "expected a value, found '" + describe_here() + "'");
        if (word == "true" || word == "false" || word == "null") {
            m_pos += word.size();
            auto node = make(NodeKind::Literal, start);
            node->literal = word == "null" ? Json(nullptr) : Json(word == "true");
            finish(node);
            return node;
        }
        m_pos += word.size();
        skip_space();
        if (m_pos >= m_text.size() || m_text[m_pos] != '(') {
            if (find_kind(word))
                fail(m_pos, "expected '(' after '" + word + "': write " + word + "(...)");
            fail(start, "unexpected word '" + word + "': a value is a selector such as container(web), "
                        "count(...), exists(...), a \"string\", a number, true, false or null");
        }
        if (word == "count" || word == "exists") {
            ++m_pos;
            auto node = make(word == "count" ? NodeKind::Count : NodeKind::Exists, start);
            node->children = { parse_or() };
            expect(")", "to close " + word + "(");
            finish(node);
            return node;
        }
        const KindInfo* kind = find_kind(word);
        if (!kind) {
            std::vector<std::string> names;
            for (auto& info : all_kinds())
                names.push_back(info.name);
            fail(start, "unknown object kind '" + word + "' (kinds: " + join_names(names) + ")");
        }
        ++m_pos; // '('.
        auto node = make(NodeKind::Selector, start);
        node->name = word;
        parse_arguments(*kind, *node);
        finish(node);
        return node;
    }

    void parse_arguments(const KindInfo& kind, Node& node)
    {
        if (accept(")"))
            return;
        while (true) {
            skip_space();
            size_t at = m_pos;
            SelectorArg arg;
            arg.offset = at;
            // A known key followed by ':' names the argument; anything else is the positional
            // one (so `image(app:1)` is a reference, not a key "app").
            std::string word = peek_ident();
            size_t after = m_pos + word.size();
            while (after < m_text.size() && m_text[after] == ' ')
                ++after;
            bool keyed = !word.empty() && after < m_text.size() && m_text[after] == ':'
                && (after + 1 >= m_text.size() || m_text[after + 1] == ' '
                    || std::find(kind.keys.begin(), kind.keys.end(), word) != kind.keys.end());
            if (keyed) {
                if (std::find(kind.keys.begin(), kind.keys.end(), word) == kind.keys.end()) {
                    std::string keys = kind.keys.empty() ? "none" : join_names(kind.keys);
                    fail(at, "unknown key '" + word + "' for " + kind.name + " (keys: " + keys + ")");
                }
                arg.key = word;
                m_pos = after + 1;
                skip_space();
            } else if (kind.positional.empty()) {
                std::string keys = kind.keys.empty() ? "no arguments" : "key: value arguments (keys: " + join_names(kind.keys) + ")";
                fail(at, kind.name + " takes " + keys);
            }
            for (auto& other : node.args) {
                if (other.key == arg.key)
                    fail(at, arg.key.empty() ? "more than one positional argument" : "key '" + arg.key + "' given twice");
            }
            parse_argument_value(arg);
            node.args.push_back(std::move(arg));
            if (accept(")"))
                return;
            if (!accept(","))
                fail(m_pos, "expected ',' or ')' in the arguments of " + kind.name + "(...), found '" + describe_here() + "'");
        }
    }

    void parse_argument_value(SelectorArg& arg)
    {
        skip_space();
        size_t at = m_pos;
        if (at >= m_text.size())
            fail(at, "expected an argument value, found the end of the check");
        if (m_text[at] == '"') {
            arg.literal = parse_string()->literal;
            return;
        }
        std::string word = peek_ident();
        size_t after = m_pos + word.size();
        while (after < m_text.size() && m_text[after] == ' ')
            ++after;
        if (!word.empty() && after < m_text.size() && m_text[after] == '(') {
            arg.selector = parse_primary();
            if (arg.selector->kind != NodeKind::Selector)
                fail(at, "an argument is a selector, a bare word or a \"string\", not " + word + "(...)");
            return;
        }
        size_t end = m_pos;
        while (end < m_text.size() && is_bare_char(m_text[end]))
            ++end;
        if (end == m_pos)
            fail(at, "expected an argument value, found '" + describe_here() + "'");
        std::string bare(m_text.substr(m_pos, end - m_pos));
        m_pos = end;
        bool digits = std::all_of(bare.begin(), bare.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
        if (digits && bare.size() < 18)
            arg.literal = std::stoll(bare);
        else
            arg.literal = bare;
    }
};

// [SECTION] Type pass

size_t field_offset(const Node& node)
{
    return node.name_offset;
}

Type check_types(const Node& node);

void check_selector(const Node& node)
{
    for (auto& arg : node.args) {
        bool wants_selector = arg.key == "in" || arg.key == "of";
        if (wants_selector && !arg.selector)
            fail(arg.offset, "'" + arg.key + ":' takes a selector such as container(web)");
        if (arg.selector) {
            check_types(*arg.selector);
            if (!wants_selector && arg.key != "master")
                fail(arg.offset, "'" + (arg.key.empty() ? node.name + "(...)" : arg.key + ":") + "' takes a bare word or a \"string\", not a selector");
        }
    }
}

Type check_types(const Node& node)
{
    using Cat = Type::Cat;
    switch (node.kind) {
    case NodeKind::Literal:
        return Type::scalar();
    case NodeKind::List:
        for (auto& child : node.children)
            check_types(*child);
        return Type::list_of(Cat::Unknown);
    case NodeKind::Selector:
        check_selector(node);
        return Type::object(node.name == "bridge" ? "link" : node.name);
    case NodeKind::Field: {
        Type base = check_types(*node.children[0]);
        size_t at = field_offset(node);
        auto on_kind = [&](const std::string& kind) {
            const Type* type = field_type(kind, node.name);
            if (!type)
                fail(at, kind + " has no field '" + node.name + "'");
            return *type;
        };
        switch (base.cat) {
        case Cat::Object:
            return on_kind(base.kind);
        case Cat::List:
            if (base.elem == Cat::Object) {
                Type element = on_kind(base.kind);
                if (element.cat == Cat::Object)
                    return Type::list_of(element.kind);
                return Type::list_of(element.cat == Cat::List ? Cat::Unknown : element.cat);
            }
            if (base.elem == Cat::Scalar)
                fail(at, "'" + node.children[0]->text + "' is a list of values; they have no field '" + node.name + "'");
            return Type::list_of(Cat::Unknown);
        case Cat::Map:
            return Type::unknown();
        case Cat::Scalar:
            fail(at, "'" + node.children[0]->text + "' is a value, not an object: it has no field '" + node.name + "'");
        case Cat::Unknown:
            return Type::unknown();
        }
        return Type::unknown();
    }
    case NodeKind::Index: {
        Type base = check_types(*node.children[0]);
        if (base.cat == Cat::List) {
            if (base.elem == Cat::Object)
                return Type::object(base.kind);
            return Type { base.elem, Cat::Unknown, "" };
        }
        if (base.cat == Cat::Unknown)
            return Type::unknown();
        fail(field_offset(node), "'" + node.children[0]->text + "' is not a list: it cannot be indexed");
    }
    case NodeKind::Count:
    case NodeKind::Exists:
        check_types(*node.children[0]);
        return Type::scalar();
    case NodeKind::Not:
    case NodeKind::And:
    case NodeKind::Or:
        for (auto& child : node.children)
            check_types(*child);
        return Type::scalar();
    case NodeKind::Compare:
        for (auto& child : node.children)
            check_types(*child);
        return Type::scalar();
    }
    return Type::unknown();
}

// Compiles literal `matches` patterns once, when the lesson loads; a bad pattern is a parse error.
void compile_patterns(const std::shared_ptr<Node>& node)
{
    for (auto& child : node->children)
        compile_patterns(std::const_pointer_cast<Node>(child));
    for (auto& arg : node->args) {
        if (arg.selector)
            compile_patterns(std::const_pointer_cast<Node>(arg.selector));
    }
    if (node->kind != NodeKind::Compare || node->op != CompareOp::Matches)
        return;
    const Node& pattern = *node->children[1];
    if (pattern.kind != NodeKind::Literal || !pattern.literal.is_string())
        return;
    try {
        node->regex = std::make_shared<const std::regex>(pattern.literal.get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
        fail(pattern.offset, "bad regular expression: " + std::string(error.what()));
    }
}

} // namespace

std::variant<Expression, ParseError> parse_check(std::string_view text)
{
    try {
        Parser parser(text);
        NodePtr root = parser.parse();
        check_types(*root);
        compile_patterns(std::const_pointer_cast<Node>(root));
        return Expression { std::string(text), root };
    } catch (const Failure& failure) {
        return failure.error;
    }
}

const std::vector<std::string>& selector_kinds()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (auto& kind : all_kinds())
            out.push_back(kind.name);
        return out;
    }();
    return names;
}

} // namespace engine::lesson
