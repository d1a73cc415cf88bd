#include "parse_error.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace msim {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

long long parse_int(const std::string& field, const std::string& what, const std::string& file, int line) {
  const std::string t = trim(field);
  char* end = nullptr;
  errno = 0;
  const long long v = t.empty() ? 0 : std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || *end != '\0' || errno == ERANGE) {
    throw ParseError(file, line, what + " must be an integer, got '" + t + "'");
  }
  return v;
}

double parse_double(const std::string& field, const std::string& what, const std::string& file, int line) {
  const std::string t = trim(field);
  char* end = nullptr;
  errno = 0;
  const double v = t.empty() ? 0 : std::strtod(t.c_str(), &end);
  if (t.empty() || *end != '\0' || errno == ERANGE) {
    throw ParseError(file, line, what + " must be a number, got '" + t + "'");
  }
  return v;
}

std::vector<std::string> split_csv_row(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream s(row);
  std::string f;
  while (std::getline(s, f, ',')) out.push_back(trim(f));
  if (!row.empty() && row.back() == ',') out.push_back("");
  return out;
}

std::string read_input_file(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "cannot open " + what);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace msim
