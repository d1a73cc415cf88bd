// The key/value lines of a SCALE-Sim .cfg file in the subset of Python's configparser that SCALE-Sim's files use,
// each key with its line, for the readers of config.cpp (v2 keys and [mercury]) and config_v3.cpp (v3's keys).
#pragma once

#include <map>
#include <set>
#include <string>

namespace msim {

std::string lower(std::string s);

struct Entry {
  std::string value;
  int line;
};

// The file's keys ("section.key", lower case) with their values and lines. Unknown sections and keys, duplicates,
// continuation lines and '%' interpolation are ParseErrors.
class ConfigKeys {
 public:
  ConfigKeys(const std::string& text, const std::string& name);

  [[noreturn]] void fail(int line, const std::string& message) const;
  const std::string& name() const { return name_; }
  int last_line() const { return line_; }
  bool has_section(const std::string& section) const { return sections_.count(section) > 0; }
  int section_line(const std::string& section) const;  // its header's line (0: absent)
  const Entry* find(const std::string& key) const {
    auto it = keys_.find(key);
    return it == keys_.end() ? nullptr : &it->second;
  }
  const Entry& need(const std::string& key) const;
  // value as an integer in [1, limit] (the limits keep every product of the model inside 64 bits).
  long long bounded(const std::string& key, const std::string& value, int at, long long limit) const;
  long long positive(const std::string& key, long long limit) const {
    const Entry& e = need(key);
    return bounded(key, e.value, e.line, limit);
  }

 private:
  void add_section(const std::string& s);
  void add_key(const std::string& s, const std::string& raw);

  const std::string& name_;
  std::map<std::string, Entry> keys_;
  std::map<std::string, int> sections_;  // lower-case name -> header line
  std::string section_;
  int line_ = 0;
  size_t key_indent_;  // indentation of the section's last key line (npos: none yet)
};

}  // namespace msim
