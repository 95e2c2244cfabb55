// Values that cross the SQLite boundary: what a statement binds and what a column holds.
//
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "sluice/error.h"

namespace sluice {

// An owned BLOB.
using Blob = std::vector<std::uint8_t>;

// A non-owning view of BLOB bytes; valid only as long as the bytes it points to.
struct BlobView {
  const void* data = nullptr;
  std::size_t size = 0;  // bytes
};

// One SQLite value: NULL, INTEGER, REAL, TEXT or BLOB.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Blob>;

// SQLite's storage classes, as column_type() reports them.
enum class ColumnType { Integer = 1, Real = 2, Text = 3, Blob = 4, Null = 5 };

namespace detail {
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T>
inline constexpr bool kAlwaysFalse = false;

// Converts a Value to T, throwing InvalidArgument on a type mismatch (NULL into non-optional,
// TEXT into an integer, ...). Integers widen to double; nothing else converts implicitly.
template <class T>
T value_as(const Value& v, int column) {
  auto mismatch = [&](const char* want) {
    return Error(ErrorCode::InvalidArgument,
                 "column " + std::to_string(column) + " does not hold " + want);
  };
  if constexpr (IsOptional<T>::value) {
    if (std::holds_alternative<std::nullptr_t>(v)) return std::nullopt;
    return value_as<typename T::value_type>(v, column);
  } else if constexpr (std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return *i != 0;
    throw mismatch("an integer");
  } else if constexpr (std::is_integral_v<T>) {
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<T>(*i);
    throw mismatch("an integer");
  } else if constexpr (std::is_floating_point_v<T>) {
    if (auto* d = std::get_if<double>(&v)) return static_cast<T>(*d);
    if (auto* i = std::get_if<std::int64_t>(&v)) return static_cast<T>(*i);
    throw mismatch("a number");
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (auto* s = std::get_if<std::string>(&v)) return *s;
    throw mismatch("text");
  } else if constexpr (std::is_same_v<T, Blob>) {
    if (auto* b = std::get_if<Blob>(&v)) return *b;
    throw mismatch("a blob");
  } else {
    static_assert(kAlwaysFalse<T>, "sluice: unsupported column type");
  }
}

// The Value a bound argument stands for, by the same rules as Statement::bind (integers and
// bool -> INTEGER, floating point -> REAL, string-like -> TEXT, Blob/BlobView -> BLOB, nullptr
// and empty optionals -> NULL). Used to send execute()'s arguments through the job ring.
template <class T>
Value to_value(const T& v) {
  if constexpr (std::is_same_v<T, std::nullptr_t>) {
    return nullptr;
  } else if constexpr (IsOptional<T>::value) {
    return v ? to_value(*v) : Value(nullptr);
  } else if constexpr (std::is_same_v<T, bool>) {
    return std::int64_t{v ? 1 : 0};
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(v);
  } else if constexpr (std::is_same_v<T, Blob> || std::is_same_v<T, Value>) {
    return v;
  } else if constexpr (std::is_same_v<T, BlobView>) {
    const auto* p = static_cast<const std::uint8_t*>(v.data);
    return Blob(p, p + v.size);
  } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string(std::string_view(v));
  } else {
    static_assert(kAlwaysFalse<T>, "sluice: cannot send this type as a parameter");
  }
}
}  // namespace detail

// One result row, owning its values. Columns are 0-based.
class Row {
 public:
  Row() = default;
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}

  std::size_t size() const noexcept { return values_.size(); }
  const Value& operator[](std::size_t i) const { return values_.at(i); }
  const std::vector<Value>& values() const noexcept { return values_; }

  // Column `i` converted to T (integers, bool, floating point, std::string, Blob, Value, or
  // std::optional of those for nullable columns). Throws Error(InvalidArgument) on mismatch.
  template <class T>
  T get(std::size_t i) const {
    return detail::value_as<T>(values_.at(i), static_cast<int>(i));
  }

  bool operator==(const Row&) const = default;

 private:
  std::vector<Value> values_;
};

}  // namespace sluice
