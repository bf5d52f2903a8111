// hello_token: the C++ API in one page. It makes a token in a directory of
// its own, logs in, stores objects and finds them again.
//
//   bazel run //examples:hello_token -- /tmp/my-tokens
#include <cstdio>
#include <string>

#include "cryptoki/cryptoki.h"

using namespace cryptoki;

// Check prints |what| and the return code, and says whether |r| succeeded.
template <class T>
bool Check(const Result<T>& r, const char* what) {
  std::printf("%-28s %s\n", what, r.has_value() ? "ok" : to_string(r.error()).c_str());
  return r.has_value();
}

int main(int argc, char** argv) {
  // 1. Configure: where tokens live (the same key as softhsm2.conf). A
  //    program normally just calls Library::Create(), which reads the file
  //    named by $CRYPTOKI_CONF.
  const std::string dir = argc > 1 ? argv[1] : "/tmp/cryptoki-hello";
  auto config = ParseConfig("directories.tokendir = " + dir + "\npin.kdf_log2n = 12\n", "example");
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  auto library = Library::Create(*config);
  if (!Check(library, "open library")) return 1;

  // 2. The last slot always holds an uninitialised token: make it ours.
  const CK_SLOT_ID slot = (*library)->Slots().back();
  auto token = (*library)->GetToken(slot);
  if (!Check(token, "find free token")) return 1;
  if (!Check((*token)->InitToken("so-secret", "hello"), "init token")) return 1;

  // 3. Sessions close themselves when they go out of scope.
  auto session = (*token)->OpenSession(SessionKind::kReadWrite);
  if (!Check(session, "open session")) return 1;
  if (!Check(session->Login(CKU_SO, "so-secret"), "log in as SO")) return 1;
  if (!Check(session->InitPin("user-secret"), "set the user PIN")) return 1;
  if (!Check(session->Logout(), "log out")) return 1;
  if (!Check(session->Login(CKU_USER, "user-secret"), "log in as user")) return 1;

  // 4. Objects: typed attributes, exact return codes.
  auto note =
      session->CreateObject({attr::Class{CKO_DATA}, attr::Token{true}, attr::Label{"greeting"},
                             attr::Application{"hello"}, attr::Value{Bytes{'h', 'i', '!'}}});
  if (!Check(note, "store a data object")) return 1;
  auto key = session->CreateObject({attr::Class{CKO_SECRET_KEY}, attr::KeyType{CKK_AES},
                                    attr::Token{true}, attr::Label{"my aes key"},
                                    attr::Sensitive{true}, attr::Value{Bytes(32, 0x42)}});
  if (!Check(key, "store an AES key")) return 1;

  // A sensitive key's value never leaves the token:
  auto value = session->GetAttribute(*key, CKA_VALUE);
  std::printf("%-28s %s\n", "read the key's value", to_string(value.error()).c_str());

  // 5. Find by label (indexed: the cost does not grow with the token).
  auto found = session->Find({attr::Label{"greeting"}});
  if (!Check(found, "find by label") || found->size() != 1) return 1;
  auto text = session->Get<attr::Value>((*found)[0]);
  if (!Check(text, "read the object")) return 1;
  std::printf("%-28s %.*s\n", "it says", static_cast<int>(text->size()),
              reinterpret_cast<const char*>(text->data()));
  return 0;
}
