// The anti-rollback state directory against a local attacker (issue 15, item 2): everything in
// it is opened relative to the directory without following links, created with O_EXCL, and a
// directory (or parent) that another user could change is refused; the counters missing beside
// an existing device key is tampering, not a first boot.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "platform/rollback_store.hpp"
#include "support/test_data.hpp"

namespace rproctee::test {
namespace {

namespace fs = std::filesystem;
using platform::RollbackStore;

TEST(StateDirectory, APlantedTemporaryFileSymlinkIsNeverWrittenThrough) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  const fs::path victim = dir.path() / "victim";
  write_bytes(victim, {'k', 'e', 'e', 'p'});
  // The attacker's links under both temporary names the store writes.
  fs::create_symlink(victim, state / "device.key.tmp");
  fs::create_symlink(victim, state / "rollback.bin.tmp");
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE(store->commit(0, 7));
  EXPECT_EQ(read_bytes(victim), (std::vector<uint8_t>{'k', 'e', 'e', 'p'}));
  EXPECT_FALSE(fs::is_symlink(state / "device.key"));
  EXPECT_EQ(fs::status(state / "device.key").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(*store->read(0), 7u);
}

TEST(StateDirectory, AStateFileThatIsASymlinkIsNotTrusted) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  { ASSERT_TRUE(RollbackStore::open(state.string())); }  // creates key and counters
  fs::rename(state / "device.key", dir.path() / "elsewhere.key");
  fs::create_symlink(dir.path() / "elsewhere.key", state / "device.key");
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store) << store.error().message;
  auto read = store->read(0);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, TeeCode::kCorruptObject);
  EXPECT_NE(read.error().message.find("device.key"), std::string::npos) << read.error().message;
}

TEST(StateDirectory, ASymlinkedCounterFileWithoutAKeyIsNotAFirstBoot) {
  // Found by fuzz_state_dir: without a key, a rollback.bin that is a symlink was replaced as on
  // a first boot instead of being refused.
  TempDir dir;
  const fs::path state = dir.path() / "state";
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  write_bytes(dir.path() / "elsewhere.bin", std::vector<uint8_t>(48, 0xAB));
  fs::create_symlink(dir.path() / "elsewhere.bin", state / "rollback.bin");
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store) << store.error().message;
  auto read = store->read(0);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, TeeCode::kCorruptObject);
  EXPECT_NE(read.error().message.find("rollback.bin"), std::string::npos) << read.error().message;
  EXPECT_FALSE(fs::exists(state / "device.key")) << "a key was made as on a first boot";
}

TEST(StateDirectory, ADirectoryOthersCanWriteToIsRefused) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(state.c_str(), 0777), 0);
  auto store = RollbackStore::open(state.string());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, TeeCode::kAccessDenied);
  EXPECT_NE(store.error().message.find("mode 0777"), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find("writable by group or others"), std::string::npos);
}

TEST(StateDirectory, AParentOthersCanWriteToIsRefusedUnlessSticky) {
  TempDir dir;
  const fs::path shared = dir.path() / "shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);  // anyone could rename our directory away
  auto store = RollbackStore::open((shared / "state").string());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, TeeCode::kAccessDenied);
  EXPECT_NE(store.error().message.find("a parent of"), std::string::npos) << store.error().message;
  if (::geteuid() == 0) {
    // A root-owned sticky parent (as /tmp) protects what we own in it.
    ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
    EXPECT_TRUE(RollbackStore::open((shared / "state2").string()));
  }
}

TEST(StateDirectory, ADirectoryOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the directory to another user";
  TempDir dir;
  const fs::path state = dir.path() / "state";
  ASSERT_EQ(::mkdir(state.c_str(), 0700), 0);
  ASSERT_EQ(::chown(state.c_str(), 65534, 65534), 0);
  auto store = RollbackStore::open(state.string());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("is not owned by uid 0"), std::string::npos)
      << store.error().message;
}

TEST(StateDirectory, CountersMissingBesideTheKeyIsTampering) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store && store->commit(0, 5));
  }
  // Deleting the counters: not a first boot.
  fs::remove(state / "rollback.bin");
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store);
    auto read = store->read(0);
    ASSERT_FALSE(read);
    EXPECT_EQ(read.error().code, TeeCode::kCorruptObject);
    EXPECT_NE(read.error().message.find("although device.key exists"), std::string::npos)
        << read.error().message;
  }
}

TEST(StateDirectory, DeletingOnlyTheKeyDoesNotResetTheCounters) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store && store->commit(0, 5));
  }
  const auto counters = read_bytes(state / "rollback.bin");
  fs::remove(state / "device.key");
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store);
  auto read = store->read(0);
  ASSERT_FALSE(read) << "a new key would have made the old counters unreadable, i.e. reset";
  EXPECT_EQ(read.error().code, TeeCode::kCorruptObject);
  EXPECT_EQ(read_bytes(state / "rollback.bin"), counters) << "the counters were overwritten";
}

TEST(StateDirectory, ASecondMachineOnTheSameDirectoryIsRefused) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  {
    auto first = RollbackStore::open(state.string());
    ASSERT_TRUE(first) << first.error().message;
    auto second = RollbackStore::open(state.string());
    ASSERT_FALSE(second) << "two stores would each rewrite the file from their own counters";
    EXPECT_EQ(second.error().code, TeeCode::kBusy);
    EXPECT_NE(second.error().message.find("is in use by another machine"), std::string::npos)
        << second.error().message;
    ASSERT_TRUE(first->commit(0, 5));
  }
  auto after = RollbackStore::open(state.string());  // the first one is gone
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(*after->read(0), 5u);
}

TEST(StateDirectory, ACommitThatFailedToWriteIsWrittenByTheNextOne) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store && store->commit(0, 1));
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // a file size limit makes the first write fail
    ::signal(SIGXFSZ, SIG_IGN);
    auto store = RollbackStore::open(state.string());
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    const rlimit small{8, old.rlim_max};
    if (!store || ::setrlimit(RLIMIT_FSIZE, &small) != 0) ::_exit(10);
    if (store->commit(0, 5)) ::_exit(11);
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::_exit(store->commit(0, 5) ? 0 : 12);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "10: setup, 11: an unwritten commit succeeded, 12: retry";
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store);
  EXPECT_EQ(*store->read(0), 5u) << "the retry was taken for done without writing";
}

// A first boot writes the key under a temporary name, the counters, then names the key: cut
// short anywhere, the next start is a working store, never one that refuses every load.
TEST(StateDirectory, AFirstBootCutShortIsFinishedOrDoneAgain) {
  TempDir dir;
  const fs::path state = dir.path() / "state";
  { ASSERT_TRUE(RollbackStore::open(state.string())); }
  const auto key = read_bytes(state / "device.key");
  const auto counters = read_bytes(state / "rollback.bin");
  // Cut before the counters: only the pending key.
  fs::rename(state / "device.key", state / "device.key.new");
  fs::remove(state / "rollback.bin");
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->read(0)) << store->read(0).error().message;
    EXPECT_NE(read_bytes(state / "device.key"), key) << "a first boot again: a new key";
  }
  // Cut between the counters and the key's name: finished with the same key.
  fs::remove(state / "device.key");
  write_bytes(state / "device.key.new", key);
  fs::permissions(state / "device.key.new", fs::perms::owner_read | fs::perms::owner_write);
  write_bytes(state / "rollback.bin", counters);
  fs::permissions(state / "rollback.bin", fs::perms::owner_read | fs::perms::owner_write);
  {
    auto store = RollbackStore::open(state.string());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->read(0)) << store->read(0).error().message;
    EXPECT_EQ(read_bytes(state / "device.key"), key);
    EXPECT_FALSE(fs::exists(state / "device.key.new"));
  }
  // A pending key the counters were not made with: tampering, as a missing key is.
  fs::rename(state / "device.key", state / "device.key.new");
  write_bytes(state / "device.key.new", std::vector<uint8_t>(32, 0x5A));
  auto store = RollbackStore::open(state.string());
  ASSERT_TRUE(store);
  ASSERT_FALSE(store->read(0));
  EXPECT_NE(store->read(0).error().message.find("device.key is missing but rollback.bin exists"),
            std::string::npos);
}

// A parent given as a symlink is checked, and the directory opened, as it really is: another
// user's link in /tmp pointing elsewhere later changes nothing.
TEST(StateDirectory, AParentThatIsASymlinkIsFollowedOnceAndTheRealPathUsed) {
  TempDir dir;
  const fs::path real = dir.path() / "real";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  fs::create_symlink(real, dir.path() / "link");
  {
    auto store = RollbackStore::open((dir.path() / "link" / "state").string());
    ASSERT_TRUE(store) << store.error().message;
    ASSERT_TRUE(store->commit(0, 3));
  }
  EXPECT_TRUE(fs::exists(real / "state" / "rollback.bin"));
  // The link now points at a directory anyone may write to: refused, nothing written there.
  const fs::path shared = dir.path() / "shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 0777), 0);
  ASSERT_EQ(::mkdir((shared / "state").c_str(), 0700), 0);
  fs::remove(dir.path() / "link");
  fs::create_symlink(shared, dir.path() / "link");
  auto store = RollbackStore::open((dir.path() / "link" / "state").string());
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("writable by group or others"), std::string::npos)
      << store.error().message;
  EXPECT_FALSE(fs::exists(shared / "state" / "device.key"));
}

}  // namespace
}  // namespace rproctee::test
