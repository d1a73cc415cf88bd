// Errors in input files, always naming the file and line, and the number parsing every reader shares.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

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
// A CSV row's fields, trimmed; a row ending with ',' ends with an empty field.
std::vector<std::string> split_csv_row(const std::string& row);
// The whole file at path, or ParseError(path, 0, "cannot open " + what).
std::string read_input_file(const std::string& path, const std::string& what);

}  // namespace msim
