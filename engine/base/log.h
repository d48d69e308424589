// Daemon logging: one line per message on stderr with a level and a time. Thread-safe.
#pragma once

#include <string_view>

namespace engine::log {

enum class Level { Debug, Info, Warn, Error };

void set_level(Level level);
void write(Level level, std::string_view message);
inline void debug(std::string_view message) { write(Level::Debug, message); }
inline void info(std::string_view message) { write(Level::Info, message); }
inline void warn(std::string_view message) { write(Level::Warn, message); }
inline void error(std::string_view message) { write(Level::Error, message); }

} // namespace engine::log
