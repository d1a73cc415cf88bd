// Errors in input files, always naming the file and line, and the number parsing every reader shares.
#pragma once

#include <stdexcept>
#include <string>

namespace msim {

class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& file, int line, const std::string& what)
      : std::runtime_error(file + ":" + std::to_string(line) + ": " + what) {}
};

// Trims spaces/tabs/CR; parses a whole field as an integer or a double, or throws ParseError.
std::string trim(const std::string& s);
long long parse_int(const std::string& field, const std::string& what, const std::string& file, int line);
double parse_double(const std::string& field, const std::string& what, const std::string& file, int line);

}  // namespace msim
