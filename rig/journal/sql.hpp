// Internal to rig/journal (and tests): SQLite as the journal's code talks to it. The handle of
// an open Journal, the error check, and SqlStatement, the one prepared-statement wrapper every
// journal reader and writer uses. Errors become JournalError naming the journal file and `what`.
// Code outside rig/journal reads through the journal's typed readers instead.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "rig/journal/journal.hpp"
#include "rig/journal/open_guard.hpp"

namespace lockrig {

// The connection of an open journal.
sqlite3* journal_db(const Journal& journal);

// Throws JournalError with the path, the operation and SQLite's message unless `rc` is
// SQLITE_OK, SQLITE_DONE or SQLITE_ROW.
void sqlite_check(int rc, sqlite3* db, const std::string& what);

class SqlStatement {
 public:
  // `what` names the statement's purpose in error messages: "prepare <what>" / "<what>".
  SqlStatement(sqlite3* db, const std::string& sql, std::string what = "query")
      : db_(db), what_(std::move(what)) {
    sqlite_check(sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr), db, "prepare " + what_);
    try {
      check_deferred_counts(db);  // issue 18: the counts this statement reads, checked first
    } catch (...) {
      sqlite3_finalize(s_);
      throw;
    }
  }
  SqlStatement(const Journal& journal, const std::string& sql, std::string what = "query")
      : SqlStatement(journal_db(journal), sql, std::move(what)) {}
  ~SqlStatement() { sqlite3_finalize(s_); }
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;

  sqlite3_stmt* get() { return s_; }
  // True while there is a row to read; false once the statement is done.
  bool step() {
    const int rc = sqlite3_step(s_);
    sqlite_check(rc, db_, what_);
    return rc == SQLITE_ROW;
  }
  void reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  SqlStatement& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  SqlStatement& bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  bool null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  // Text columns by length, so embedded NULs survive; NULL reads as empty.
  std::string_view view(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p ? std::string_view(reinterpret_cast<const char*>(p),
                                static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  std::string text(int col) const { return std::string(view(col)); }
  // A BLOB column's bytes (the pointer first, then the size, as sqlite.org/c3ref/column_blob.html
  // asks); empty for NULL or a zero-length blob. Valid until the next step or reset.
  std::string_view blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string_view();
  }
  long long integer(int col) const { return sqlite3_column_int64(s_, col); }
  double real(int col) const { return sqlite3_column_double(s_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  std::string what_;
};

// Turns this connection's triggers off for its lifetime (SQLITE_DBCONFIG_ENABLE_TRIGGER is per
// connection; changing it expires the prepared statements, which SQLite re-prepares on their
// next step). Other connections to the same file keep the triggers.
class TriggersOff {
 public:
  explicit TriggersOff(sqlite3* db) : db_(db) {
    // The out-parameter reports the state after the call, so ask first (-1 leaves it as is).
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, -1, &was_);
    sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  }
  ~TriggersOff() {
    if (was_) sqlite3_db_config(db_, SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, nullptr);
  }
  TriggersOff(const TriggersOff&) = delete;
  TriggersOff& operator=(const TriggersOff&) = delete;

 private:
  sqlite3* db_;
  int was_ = 1;
};

}  // namespace lockrig
