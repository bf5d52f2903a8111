// Several processes on one FileStore token: no update is lost, and Changed()
// tells each process when another one wrote.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cryptoki/attribute.h"
#include "cryptoki/file_store.h"
#include "cryptoki/store.h"
#include "tests/temp_dir.h"

namespace cryptoki {
namespace {

using ::cryptoki::test_support::TempDir;

namespace fs = std::filesystem;

SecretBytes DataKey() { return SecretBytes(32, 0x5a); }

std::unique_ptr<TokenStore> OpenToken(const std::string& dir, CK_SLOT_ID slot = 0) {
  auto store = MakeFileStore(dir);
  if (!store.has_value()) return nullptr;
  auto token = (*store)->CreateToken(slot);
  if (!token.has_value()) return nullptr;
  (*token)->SetDataKey(DataKey());
  return std::move(*token);
}

// Every fourth object is private, so it is sealed.
ObjectRecord MakeObject(uint64_t id, int process, int i) {
  ObjectRecord o{id,
                 {attr::Class{CKO_DATA}, attr::Token{true}, attr::Private{i % 4 == 0},
                  attr::Label{"p" + std::to_string(process) + "-" + std::to_string(i)},
                  attr::Value{Bytes(1 + i % 50, static_cast<uint8_t>(i))}}};
  return o;
}

std::string LabelOf(const ObjectRecord& o) {
  for (const Attribute& a : o.attributes)
    if (a.type() == CKA_LABEL) return a.AsString();
  return "";
}

// Channel is a pair of pipes between the parent and one child.
struct Channel {
  int to_child[2];
  int to_parent[2];
};

void Send(int fd, char c) { ASSERT_EQ(write(fd, &c, 1), 1); }

char Receive(int fd) {
  char c = 0;
  return read(fd, &c, 1) == 1 ? c : 0;
}

// Child runs |body| in a forked process, which exits with body's return
// value (0 on success; a distinct code per failed check).
pid_t Child(Channel& ch, const std::function<int(int in, int out)>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    close(ch.to_child[1]);
    close(ch.to_parent[0]);
    _exit(body(ch.to_child[0], ch.to_parent[1]));
  }
  close(ch.to_child[0]);
  close(ch.to_parent[1]);
  return pid;
}

int ExitCode(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(StoreMultiprocessTest, TwoProcessesThousandCreatesEachAllVisible) {
  TempDir tmp("store_multiprocess_test");
  constexpr int kPerProcess = 1000;
  // The parent watches with its own store, loaded before the children run.
  auto watcher = OpenToken(tmp.path());
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->LoadRecord().has_value());
  ASSERT_TRUE(watcher->LoadObjects().has_value());
  EXPECT_FALSE(watcher->Changed());

  Channel ch[2];
  pid_t pids[2];
  for (int p = 0; p < 2; ++p) {
    ASSERT_EQ(pipe(ch[p].to_child), 0);
    ASSERT_EQ(pipe(ch[p].to_parent), 0);
    pids[p] = Child(ch[p], [&, p](int in, int out) -> int {
      auto token = OpenToken(tmp.path());
      if (!token) return 2;
      auto before = token->LoadObjects();
      if (!before.has_value() || !before->empty()) return 3;
      if (token->Changed()) return 4;  // nothing written yet
      char c = 'R';
      if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1 || c != 'G') return 5;
      for (int i = 0; i < kPerProcess; ++i) {
        if (!token->PutObject(MakeObject(token->NewObjectId(), p, i)).has_value()) return 6;
      }
      c = 'D';
      if (write(out, &c, 1) != 1 || read(in, &c, 1) != 1 || c != 'C') return 7;
      // Both are done: the other process wrote after this one loaded.
      if (!token->Changed()) return 8;
      auto after = token->LoadObjects();
      if (!after.has_value() || after->size() != 2 * kPerProcess) return 9;
      if (token->Changed()) return 10;  // nothing changed since that load
      return 0;
    });
  }
  for (int p = 0; p < 2; ++p) ASSERT_EQ(Receive(ch[p].to_parent[0]), 'R');
  for (int p = 0; p < 2; ++p) Send(ch[p].to_child[1], 'G');  // both write at once
  for (int p = 0; p < 2; ++p) ASSERT_EQ(Receive(ch[p].to_parent[0]), 'D');
  EXPECT_TRUE(watcher->Changed());
  for (int p = 0; p < 2; ++p) Send(ch[p].to_child[1], 'C');
  for (int p = 0; p < 2; ++p) {
    EXPECT_EQ(ExitCode(pids[p]), 0) << "child " << p;
    close(ch[p].to_child[1]);
    close(ch[p].to_parent[0]);
  }

  // The watcher, after reloading, and a fresh reader see all 2,000.
  const auto expect_all = [&](TokenStore& reader) {
    auto objects = reader.LoadObjects();
    ASSERT_TRUE(objects.has_value());
    ASSERT_EQ(objects->size(), 2u * kPerProcess);
    std::set<uint64_t> ids;
    std::set<std::string> labels;
    for (const ObjectRecord& o : *objects) {
      ids.insert(o.id);
      labels.insert(LabelOf(o));
    }
    EXPECT_EQ(ids.size(), 2u * kPerProcess);
    for (int p = 0; p < 2; ++p)
      for (int i = 0; i < kPerProcess; ++i)
        EXPECT_TRUE(labels.count("p" + std::to_string(p) + "-" + std::to_string(i)))
            << p << "-" << i;
    EXPECT_FALSE(reader.Changed());
  };
  expect_all(*watcher);
  auto fresh = OpenToken(tmp.path());
  ASSERT_NE(fresh, nullptr);
  expect_all(*fresh);

  // Without the data key, a fresh reader sees the public three quarters.
  {
    auto store = MakeFileStore(tmp.path());
    ASSERT_TRUE(store.has_value());
    auto token = (*store)->CreateToken(0);
    ASSERT_TRUE(token.has_value());
    auto objects = (*token)->LoadObjects();
    ASSERT_TRUE(objects.has_value());
    EXPECT_EQ(objects->size(), 2u * (kPerProcess - kPerProcess / 4));
  }
}

TEST(StoreMultiprocessTest, ChangedFollowsRecordAndRemovalsOfAnotherProcess) {
  TempDir tmp("store_multiprocess_test");
  auto watcher = OpenToken(tmp.path());
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->PutObject(MakeObject(1, 0, 1)).has_value());
  ASSERT_TRUE(watcher->PutObject(MakeObject(2, 0, 2)).has_value());
  ASSERT_TRUE(watcher->LoadRecord().has_value());
  ASSERT_TRUE(watcher->LoadObjects().has_value());
  EXPECT_FALSE(watcher->Changed());

  // Runs one write in a child process and waits for it.
  const auto in_child = [&](const std::function<bool(TokenStore&)>& write) {
    Channel ch;
    EXPECT_EQ(pipe(ch.to_child), 0);
    EXPECT_EQ(pipe(ch.to_parent), 0);
    const pid_t pid = Child(ch, [&](int, int) -> int {
      auto token = OpenToken(tmp.path());
      return token && write(*token) ? 0 : 1;
    });
    EXPECT_EQ(ExitCode(pid), 0);
    close(ch.to_child[1]);
    close(ch.to_parent[0]);
  };

  TokenRecord record;
  record.initialized = true;
  record.label = "changed elsewhere";
  record.user_pin.failures = 3;
  in_child([&](TokenStore& t) { return t.SaveRecord(record).has_value(); });
  EXPECT_TRUE(watcher->Changed());
  auto loaded = watcher->LoadRecord();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->label, "changed elsewhere");
  EXPECT_EQ(loaded->user_pin.failures, 3u);
  EXPECT_FALSE(watcher->Changed());

  in_child([&](TokenStore& t) { return t.RemoveObject(1).has_value(); });
  EXPECT_TRUE(watcher->Changed());
  auto objects = watcher->LoadObjects();
  ASSERT_TRUE(objects.has_value());
  ASSERT_EQ(objects->size(), 1u);
  EXPECT_EQ((*objects)[0].id, 2u);
  EXPECT_FALSE(watcher->Changed());

  // A process that only reads changes nothing.
  in_child(
      [&](TokenStore& t) { return t.LoadObjects().has_value() && t.LoadRecord().has_value(); });
  EXPECT_FALSE(watcher->Changed());

  in_child([&](TokenStore& t) { return t.RemoveAllObjects().has_value(); });
  EXPECT_TRUE(watcher->Changed());
  EXPECT_TRUE(watcher->LoadObjects()->empty());
  EXPECT_FALSE(watcher->Changed());
}

TEST(StoreMultiprocessTest, ConcurrentCreateTokenYieldsOneToken) {
  TempDir tmp("store_multiprocess_test");
  constexpr int kProcesses = 4;
  Channel ch[kProcesses];
  pid_t pids[kProcesses];
  for (int p = 0; p < kProcesses; ++p) {
    ASSERT_EQ(pipe(ch[p].to_child), 0);
    ASSERT_EQ(pipe(ch[p].to_parent), 0);
    pids[p] = Child(ch[p], [&, p](int in, int) -> int {
      char c;
      if (read(in, &c, 1) != 1) return 2;
      auto token = OpenToken(tmp.path(), 5);
      if (!token) return 3;
      for (int i = 0; i < 10; ++i)
        if (!token->PutObject(MakeObject(token->NewObjectId(), p, i)).has_value()) return 4;
      return 0;
    });
  }
  for (int p = 0; p < kProcesses; ++p) Send(ch[p].to_child[1], 'G');
  for (int p = 0; p < kProcesses; ++p) {
    EXPECT_EQ(ExitCode(pids[p]), 0) << "child " << p;
    close(ch[p].to_child[1]);
    close(ch[p].to_parent[0]);
  }
  auto store = MakeFileStore(tmp.path());
  ASSERT_TRUE(store.has_value());
  auto tokens = (*store)->OpenTokens();
  ASSERT_TRUE(tokens.has_value());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0]->LoadRecord()->slot_id, 5u);
  (*tokens)[0]->SetDataKey(DataKey());
  EXPECT_EQ((*tokens)[0]->LoadObjects()->size(), 10u * kProcesses);
  int entries = 0;
  for (const auto& e : fs::directory_iterator(tmp.path())) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);  // no temporary directories left behind
}

}  // namespace
}  // namespace cryptoki
