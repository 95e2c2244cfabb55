#include "backup/generation.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "backup/file_io.h"
#include "sluice/error.h"

namespace sluice::backup {
namespace {

nlohmann::json wal_json(const WalPosition& w) {
  return {{"salt1", w.salt1},
          {"salt2", w.salt2},
          {"frame", w.frame},
          {"chain", {w.chain.s0, w.chain.s1}}};
}

WalPosition wal_from(const nlohmann::json& j) {
  WalPosition w;
  w.salt1 = j.at("salt1").get<std::uint32_t>();
  w.salt2 = j.at("salt2").get<std::uint32_t>();
  w.frame = j.at("frame").get<std::uint64_t>();
  w.chain = {j.at("chain").at(0).get<std::uint32_t>(), j.at("chain").at(1).get<std::uint32_t>()};
  return w;
}

template <class F>
auto parse_or_corrupt(const std::string& text, const std::string& name, F fn) {
  try {
    return fn(nlohmann::json::parse(text));
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorCode::Corrupt, "replica object '" + name + "' is damaged: " + e.what());
  }
}

}  // namespace

std::string hex16(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}
std::vector<std::string> generation_ids(const ReplicaTarget& target) {
  std::vector<std::string> ids;
  for (const std::string& n : target.list("generations")) {
    if (n.size() == 16 && n.find_first_not_of("0123456789abcdef") == std::string::npos) {
      ids.push_back(n);
    }
  }
  return ids;
}

std::string generation_prefix(std::uint64_t snapshot_txid) {
  return "generations/" + hex16(snapshot_txid);
}
std::string snapshot_name(const std::string& gen) { return gen + "/snapshot.db"; }
std::string snapshot_meta_name(const std::string& gen) { return gen + "/snapshot.json"; }
std::string segments_prefix(const std::string& gen) { return gen + "/segments"; }
std::string segment_name(const std::string& gen, std::uint64_t seq) {
  return segments_prefix(gen) + "/" + hex16(seq) + ".seg";
}
std::string position_name(const std::string& gen) { return gen + "/position.json"; }

Checksum file_checksum(std::string_view bytes) {
  const std::size_t whole = bytes.size() / 8 * 8;
  Checksum c = wal_checksum(true, reinterpret_cast<const unsigned char*>(bytes.data()), whole, {});
  if (whole < bytes.size()) {
    unsigned char tail[8] = {};
    for (std::size_t i = whole; i < bytes.size(); ++i) tail[i - whole] = bytes[i];
    c = wal_checksum(true, tail, 8, c);
  }
  return c;
}

Checksum checksum_of_file(const std::string& path, std::int64_t* bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open", path);
  std::string buf(1 << 20, '\0');
  std::string carry;  // bytes of the last read not yet a multiple of 8
  Checksum c;
  std::int64_t total = 0;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      throw_errno("read", path);
    }
    if (n == 0) break;
    total += n;
    carry.append(buf.data(), static_cast<std::size_t>(n));
    const std::size_t whole = carry.size() / 8 * 8;
    c = wal_checksum(true, reinterpret_cast<const unsigned char*>(carry.data()), whole, c);
    carry.erase(0, whole);
  }
  ::close(fd);
  if (!carry.empty()) {
    unsigned char tail[8] = {};
    for (std::size_t i = 0; i < carry.size(); ++i) tail[i] = static_cast<unsigned char>(carry[i]);
    c = wal_checksum(true, tail, 8, c);
  }
  if (bytes) *bytes = total;
  return c;
}

std::string to_json(const SnapshotMeta& m) {
  return nlohmann::json{{"format", 1},           {"txid", m.txid},
                        {"unix_ms", m.unix_ms},  {"page_size", m.page_size},
                        {"bytes", m.bytes},      {"checksum", {m.checksum.s0, m.checksum.s1}},
                        {"wal", wal_json(m.wal)}}
      .dump(2);
}

std::string to_json(const ReplicaPosition& p) {
  return nlohmann::json{
      {"seq", p.seq}, {"last_txid", p.last_txid}, {"unix_ms", p.unix_ms}, {"wal", wal_json(p.wal)}}
      .dump(2);
}

SnapshotMeta parse_snapshot_meta(const std::string& text, const std::string& name) {
  return parse_or_corrupt(text, name, [](const nlohmann::json& j) {
    SnapshotMeta m;
    m.txid = j.at("txid").get<std::uint64_t>();
    m.unix_ms = j.at("unix_ms").get<std::int64_t>();
    m.page_size = j.at("page_size").get<std::uint32_t>();
    m.bytes = j.at("bytes").get<std::int64_t>();
    m.checksum = {j.at("checksum").at(0).get<std::uint32_t>(),
                  j.at("checksum").at(1).get<std::uint32_t>()};
    m.wal = wal_from(j.at("wal"));
    return m;
  });
}

ReplicaPosition parse_position(const std::string& text, const std::string& name) {
  return parse_or_corrupt(text, name, [](const nlohmann::json& j) {
    ReplicaPosition p;
    p.seq = j.at("seq").get<std::uint64_t>();
    p.last_txid = j.at("last_txid").get<std::uint64_t>();
    p.unix_ms = j.at("unix_ms").get<std::int64_t>();
    p.wal = wal_from(j.at("wal"));
    return p;
  });
}

}  // namespace sluice::backup
