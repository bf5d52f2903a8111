// cryptoki-util: the token administration tool. See `cryptoki-util --help`.
//
// Exit status: 0 success, 1 an operation failed (wrong PIN, unreadable file,
// unsupported key...), 2 a usage error. Every error is one line on stderr,
// "cryptoki-util: ...". Nothing is left half done: an import that fails
// after creating its first object destroys it again, and files written with
// --out appear whole or not at all.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cryptoki/cryptoki.h"
#include "cryptoki/mech/asym.h"
#include "tools/cryptoki_util/keys.h"
#include "tools/cryptoki_util/uri.h"

namespace cryptoki::util {
namespace {

constexpr char kProg[] = "cryptoki-util";

// UsageError exits 2; OpError exits 1. Both carry the one-line message.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Describe turns a PKCS#11 code into words for an error line.
std::string Describe(Rv rv) {
  std::string words;
  switch (rv) {
    case Rv::kPinIncorrect:
      words = "wrong PIN";
      break;
    case Rv::kPinLocked:
      words = "the PIN is locked after too many wrong PINs";
      break;
    case Rv::kUserPinNotInitialized:
      words = "the token has no user PIN yet (set one with init-pin)";
      break;
    case Rv::kPinLenRange:
      words = "PIN too short or too long";
      break;
    case Rv::kDeviceMemory:
      words = "the disk is full";
      break;
    case Rv::kDeviceError:
      words = "the token store cannot be written";
      break;
    case Rv::kUserNotLoggedIn:
      words = "this needs the user PIN (--pin or CRYPTOKI_PIN)";
      break;
    case Rv::kTemplateIncomplete:
    case Rv::kTemplateInconsistent:
    case Rv::kAttributeValueInvalid:
      words = "the token refused the object's attributes";
      break;
    default:
      return to_string(rv);
  }
  return words + " (" + to_string(rv) + ")";
}

// Check throws OpError("|what|: reason") if |r| failed, and returns its value.
template <class T>
T Check(Result<T> r, const std::string& what) {
  if (!r) throw OpError(what + ": " + Describe(r.error()));
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// --- command lines ---

struct Command;

// Args are one command's parsed options and operands.
class Args {
 public:
  std::optional<std::string> Get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  const std::vector<std::string>& operands() const { return operands_; }

  std::map<std::string, std::string> values_;
  std::vector<std::string> operands_;
};

struct Command {
  const char* name;
  const char* synopsis;  // after "cryptoki-util NAME "
  const char* summary;
  const char* details;
  std::vector<std::string> value_options;  // without the leading "--"
  std::vector<std::string> flag_options;
  size_t min_operands, max_operands;
  void (*run)(const Args&);
};

// The options every command that works on a token takes.
const std::vector<std::string> kTokenOptions = {"token", "serial", "slot"};

std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ParseArgs parses |argv| (after the command name) against |cmd|.
Args ParseArgs(const Command& cmd, const std::vector<std::string>& argv) {
  Args args;
  auto has = [](const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  bool only_operands = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_operands || a.size() < 2 || a.compare(0, 2, "--") != 0) {
      if (!only_operands && a.size() > 1 && a[0] == '-') {
        throw UsageError(std::string(cmd.name) + ": unknown option " + a);
      }
      args.operands_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_operands = true;
      continue;
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      inline_value = true;
    }
    if (has(cmd.flag_options, name)) {
      if (inline_value) throw UsageError(std::string(cmd.name) + ": --" + name + " takes no value");
      args.values_[name] = "";
    } else if (has(cmd.value_options, name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) {
          throw UsageError(std::string(cmd.name) + ": --" + name + " needs a value");
        }
        value = argv[++i];
      }
      if (args.values_.count(name)) {
        throw UsageError(std::string(cmd.name) + ": --" + name + " given twice");
      }
      args.values_[name] = value;
    } else {
      throw UsageError(std::string(cmd.name) + ": unknown option --" + name);
    }
  }
  if (args.operands_.size() < cmd.min_operands) {
    throw UsageError(std::string(cmd.name) + ": missing operand (usage: " + kProg + " " + cmd.name +
                     " " + cmd.synopsis + ")");
  }
  if (args.operands_.size() > cmd.max_operands) {
    throw UsageError(std::string(cmd.name) + ": unexpected operand \"" +
                     args.operands_[cmd.max_operands] + "\"");
  }
  return args;
}

// ParseHex parses hex digits (optionally "0x"-prefixed, ':' separators
// allowed) for option |what|.
Bytes ParseHex(std::string_view s, std::string_view what) {
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  Bytes out;
  int high = -1;
  for (char c : s) {
    if (c == ':') continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      throw UsageError(std::string(what) + ": not hexadecimal");
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) throw UsageError(std::string(what) + ": odd number of hex digits");
  return out;
}

std::string Hex(ByteView b) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t c : b) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

// --- files and PINs ---

// ReadFile returns the bytes of |path| ("-" is standard input).
SecretBytes ReadFile(const std::string& path) {
  const int fd = path == "-" ? dup(0) : open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw OpError("cannot read " + path + ": " + strerror(errno));
  SecretBytes out;
  uint8_t buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      explicit_bzero(buf, sizeof buf);
      throw OpError("cannot read " + path + ": " + strerror(err));
    }
    if (n == 0) break;
    out.insert(out.end(), buf, buf + n);
    if (out.size() > (64u << 20)) {
      close(fd);
      throw OpError("cannot read " + path + ": larger than 64 MiB");
    }
  }
  explicit_bzero(buf, sizeof buf);
  close(fd);
  return out;
}

// WriteOutput writes |text| to |path| whole or not at all (a temporary file
// in the same directory, synced, renamed over |path|), or to standard output
// when |path| is empty.
void WriteOutput(const std::optional<std::string>& path, const std::string& text) {
  if (!path || *path == "-") {
    if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0) {
      throw OpError(std::string("cannot write to standard output: ") + strerror(errno));
    }
    return;
  }
  const std::filesystem::path target(*path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw OpError("cannot write " + *path + ": " + strerror(errno));
  bool ok = fchmod(fd, 0644) == 0;
  for (size_t off = 0; ok && off < text.size();) {
    const ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    if (n > 0) off += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  const int err = errno;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path->c_str()) != 0) {
    const int e = ok ? errno : err;
    unlink(tmp.c_str());
    throw OpError("cannot write " + *path + ": " + strerror(e));
  }
}

// PromptPin reads a PIN from the terminal on standard input without echo.
std::string PromptPin(const std::string& prompt) {
  fprintf(stderr, "%s: ", prompt.c_str());
  fflush(stderr);
  termios old_attrs;
  const bool tty = tcgetattr(0, &old_attrs) == 0;
  if (tty) {
    termios quiet = old_attrs;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    tcsetattr(0, TCSAFLUSH, &quiet);
  }
  std::string pin;
  int c;
  while ((c = fgetc(stdin)) != EOF && c != '\n') pin.push_back(static_cast<char>(c));
  if (tty) tcsetattr(0, TCSAFLUSH, &old_attrs);
  if (c == EOF && pin.empty()) throw OpError("no PIN entered");
  return pin;
}

// PinSource says where a PIN may come from.
struct PinSource {
  const char* option;  // "pin"
  const char* env;     // "CRYPTOKI_PIN"
  const char* prompt;  // "User PIN"
};
constexpr PinSource kUserPin{"pin", "CRYPTOKI_PIN", "User PIN"};
constexpr PinSource kSoPin{"so-pin", "CRYPTOKI_SO_PIN", "SO PIN"};
constexpr PinSource kNewPin{"new-pin", "CRYPTOKI_NEW_PIN", "New PIN"};

// GivenPin returns the PIN from the option or the environment, if any.
std::optional<std::string> GivenPin(const Args& args, const PinSource& src) {
  if (auto v = args.Get(src.option)) return v;
  if (const char* env = getenv(src.env); env != nullptr && env[0] != '\0') return std::string(env);
  return std::nullopt;
}

// NeedPin returns the PIN from the option, the environment or the terminal.
std::string NeedPin(const Args& args, const PinSource& src) {
  if (auto v = GivenPin(args, src)) return *v;
  if (isatty(0)) return PromptPin(src.prompt);
  throw UsageError(std::string("no ") + src.prompt + ": give --" + src.option + ", set " + src.env +
                   ", or run on a terminal");
}

// NeedNewPin is NeedPin for a PIN being set: on a terminal it is asked twice.
std::string NeedNewPin(const Args& args, const PinSource& src) {
  if (auto v = GivenPin(args, src)) return *v;
  if (!isatty(0)) return NeedPin(args, src);
  std::string a = PromptPin(src.prompt);
  std::string b = PromptPin(std::string(src.prompt) + " again");
  if (a != b) throw OpError("the two PINs differ");
  return a;
}

// --- the library and tokens ---

std::optional<std::string> g_config_path;

// OpenLibrary loads the configuration (--config, else $CRYPTOKI_CONF, else
// the defaults) and opens the tokens.
std::unique_ptr<Library> OpenLibrary() {
  auto config = g_config_path ? LoadConfigFile(*g_config_path) : LoadConfig();
  if (!config) throw OpError(config.error().message);
  const std::string dir = config->token_dir;
  auto lib = Library::Create(std::move(*config));
  if (!lib) throw OpError("cannot open the tokens in " + dir + ": " + Describe(lib.error()));
  return std::move(*lib);
}

// TokenSelector picks a token; empty fields match anything.
struct TokenSelector {
  std::optional<std::string> label, serial;
  std::optional<CK_SLOT_ID> slot;
  bool empty() const { return !label && !serial && !slot; }
};

TokenSelector SelectorFrom(const Args& args, const std::optional<Pkcs11Uri>& uri) {
  TokenSelector sel;
  sel.label = args.Get("token");
  sel.serial = args.Get("serial");
  if (auto slot = args.Get("slot")) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = strtoull(slot->c_str(), &end, 10);
    if (slot->empty() || *end != '\0' || errno != 0) throw UsageError("--slot: not a number");
    sel.slot = static_cast<CK_SLOT_ID>(v);
  }
  if (uri) {
    if (uri->token && !sel.label) sel.label = uri->token;
    if (uri->serial && !sel.serial) sel.serial = uri->serial;
    if (uri->slot_id && !sel.slot) sel.slot = uri->slot_id;
  }
  return sel;
}

// SelectToken returns the one initialised token |sel| matches; with an
// empty selector, the only initialised token.
std::shared_ptr<Token> SelectToken(Library& lib, const TokenSelector& sel) {
  std::vector<std::shared_ptr<Token>> found;
  for (CK_SLOT_ID slot : lib.Slots()) {
    auto token = lib.GetToken(slot);
    if (!token || !(*token)->initialized()) continue;
    const TokenInfo info = (*token)->Info();
    if (sel.label && info.label != *sel.label) continue;
    if (sel.serial && info.serial != *sel.serial) continue;
    if (sel.slot && slot != *sel.slot) continue;
    found.push_back(*token);
  }
  if (found.empty()) {
    if (sel.empty()) throw OpError("there is no token yet (make one with init-token)");
    throw OpError("no token matches the selection (see `cryptoki-util slots`)");
  }
  if (found.size() > 1) {
    throw UsageError("there are several tokens: choose one with --token, --serial or --slot");
  }
  return found.front();
}

Session OpenRw(Token& token) {
  auto s = token.OpenSession(SessionKind::kReadWrite);
  return Check(std::move(s), "cannot open a session");
}

void Login(Session& s, CK_USER_TYPE user, const std::string& pin) {
  Check(s.Login(user, pin), user == CKU_SO ? "SO login failed" : "login failed");
}

// LoginIfGiven logs the user in when a PIN is given (option or environment).
void LoginIfGiven(Session& s, const Args& args) {
  if (auto pin = GivenPin(args, kUserPin)) Login(s, CKU_USER, *pin);
}

std::string TokenLabel(const Token& t) { return t.Info().label; }

// ObjectUri returns the URI of object |o| on token |token_label|.
std::string ObjectUri(const std::string& token_label, const Object& o) {
  const Attribute* label = o.Find(CKA_LABEL);
  const Attribute* id = o.Find(CKA_ID);
  return FormatObjectUri(token_label, label ? AsStringView(label->value()) : "",
                         id ? id->value() : ByteView(), o.object_class());
}

// ObjectQuery selects objects: a URI operand, or --label/--id/--type.
struct ObjectQuery {
  std::optional<Pkcs11Uri> uri;
  Template tmpl;
  bool empty = true;
};

CK_OBJECT_CLASS ClassOption(const std::string& v) {
  auto uri = ParsePkcs11Uri("pkcs11:type=" + v);
  if (!uri || !uri->type) {
    throw UsageError("--type: one of public, private, cert, secret-key, data");
  }
  return *uri->type;
}

ObjectQuery QueryFrom(const Args& args) {
  ObjectQuery q;
  if (!args.operands().empty()) {
    auto uri = ParsePkcs11Uri(args.operands()[0]);
    if (!uri) throw UsageError(uri.error());
    q.uri = std::move(*uri);
  }
  std::optional<std::string> label = args.Get("label");
  std::optional<Bytes> id;
  if (auto v = args.Get("id")) id = ParseHex(*v, "--id");
  std::optional<CK_OBJECT_CLASS> cls;
  if (auto v = args.Get("type")) cls = ClassOption(*v);
  if (q.uri) {
    if ((label && q.uri->object) || (id && q.uri->id) || (cls && q.uri->type)) {
      throw UsageError("an attribute is given both in the URI and as an option");
    }
    if (q.uri->object) label = q.uri->object;
    if (q.uri->id) id = q.uri->id;
    if (q.uri->type) cls = q.uri->type;
  }
  if (label) q.tmpl.Add(attr::Label{*label});
  if (id) q.tmpl.Add(attr::Id{*id});
  if (cls) q.tmpl.Add(attr::Class{*cls});
  q.empty = q.tmpl.empty();
  return q;
}

// Objects returns the snapshots of the objects matching |tmpl|.
std::vector<std::pair<ObjectHandle, std::shared_ptr<const Object>>> Objects(Session& s,
                                                                            const Template& tmpl) {
  auto handles = Check(s.Find(tmpl), "cannot search the token");
  std::vector<std::pair<ObjectHandle, std::shared_ptr<const Object>>> out;
  for (ObjectHandle h : handles) {
    auto o = s.GetObject(h);
    if (o) out.emplace_back(h, std::move(*o));
  }
  return out;
}

// --- commands ---

void CmdSlots(const Args&) {
  auto lib = OpenLibrary();
  for (CK_SLOT_ID slot : lib->Slots()) {
    auto token = lib->GetToken(slot);
    if (!token) continue;
    if (!(*token)->initialized()) {
      printf("slot %lu: free (init-token initialises a token here)\n", slot);
      continue;
    }
    const TokenInfo info = (*token)->Info();
    std::string state;
    if (!(info.flags & CKF_USER_PIN_INITIALIZED)) state += ", no user PIN";
    if (info.flags & CKF_USER_PIN_LOCKED) state += ", user PIN locked";
    if (info.flags & CKF_SO_PIN_LOCKED) state += ", SO PIN locked";
    printf("slot %lu: token \"%s\" serial %s%s\n", slot, info.label.c_str(), info.serial.c_str(),
           state.c_str());
  }
}

void CmdInitToken(const Args& args) {
  const std::string label = *args.Get("label");
  if (label.empty() || label.size() > 32) throw UsageError("--label: 1 to 32 bytes");
  auto lib = OpenLibrary();
  std::shared_ptr<Token> free_token;
  for (CK_SLOT_ID slot : lib->Slots()) {
    auto token = lib->GetToken(slot);
    if (!token) continue;
    if ((*token)->initialized()) {
      if ((*token)->Info().label == label) {
        throw OpError("a token labelled \"" + label + "\" exists already (slot " +
                      std::to_string(slot) + ")");
      }
    } else if (!free_token) {
      free_token = *token;
    }
  }
  if (!free_token) throw OpError("no free slot");
  const std::string so_pin = NeedNewPin(args, kSoPin);
  std::optional<std::string> user_pin = GivenPin(args, kUserPin);
  if (!user_pin && isatty(0)) user_pin = NeedNewPin(args, kUserPin);
  Check(free_token->InitToken(so_pin, label), "cannot initialise the token");
  std::string note;
  if (user_pin) {
    auto pin_set = [&]() -> Result<> {
      auto s = free_token->OpenSession(SessionKind::kReadWrite);
      if (!s) return Fail(s.error());
      CRYPTOKI_TRY(s->Login(CKU_SO, so_pin));
      CRYPTOKI_TRY(s->InitPin(*user_pin));
      return s->Logout();
    }();
    if (!pin_set) {
      throw OpError("token \"" + label + "\" initialised in slot " +
                    std::to_string(free_token->slot_id()) +
                    " but its user PIN could not be set: " + Describe(pin_set.error()));
    }
  } else {
    note = "; no user PIN yet (set one with init-pin)";
  }
  printf("initialised token \"%s\" in slot %lu, serial %s%s\n", label.c_str(),
         free_token->slot_id(), free_token->Info().serial.c_str(), note.c_str());
}

void CmdInitPin(const Args& args) {
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  const std::string so_pin = NeedPin(args, kSoPin);
  Session s = OpenRw(*token);
  Login(s, CKU_SO, so_pin);
  const std::string pin = NeedNewPin(args, kUserPin);
  Check(s.InitPin(pin), "cannot set the user PIN");
  printf("user PIN of token \"%s\" set\n", TokenLabel(*token).c_str());
}

void CmdChangePin(const Args& args) {
  const bool so = args.Has("so");
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  const std::string old_pin = NeedPin(args, so ? kSoPin : kUserPin);
  Session s = OpenRw(*token);
  Login(s, so ? CKU_SO : CKU_USER, old_pin);
  const std::string new_pin = NeedNewPin(args, kNewPin);
  Check(s.SetPin(old_pin, new_pin), "cannot change the PIN");
  printf("%s PIN of token \"%s\" changed\n", so ? "SO" : "user", TokenLabel(*token).c_str());
}

void CmdDeleteToken(const Args& args) {
  std::optional<Pkcs11Uri> uri;
  if (!args.operands().empty()) {
    auto u = ParsePkcs11Uri(args.operands()[0]);
    if (!u) throw UsageError(u.error());
    uri = std::move(*u);
  }
  const TokenSelector sel = SelectorFrom(args, uri);
  if (sel.empty())
    throw UsageError("delete-token: name the token with --token, --serial or --slot");
  auto lib = OpenLibrary();
  if (lib->config().backend != Config::Backend::kFile) {
    throw OpError("the configuration keeps tokens in memory: there is nothing to delete");
  }
  auto token = SelectToken(*lib, sel);
  const CK_SLOT_ID slot = token->slot_id();
  const TokenInfo info = token->Info();
  const std::filesystem::path root = lib->config().token_dir;
  token.reset();
  lib.reset();  // closes the token's files

  const std::filesystem::path dir = root / ("slot-" + std::to_string(slot));
  const std::filesystem::path doomed =
      root / (".deleted-slot-" + std::to_string(slot) + "-" + std::to_string(getpid()));
  // Hold the token's writer lock while the directory is moved away, so no
  // other process is half way through a write; the rename is the deletion.
  const int lock = open((dir / "lock").c_str(), O_RDWR | O_CLOEXEC);
  if (lock >= 0) flock(lock, LOCK_EX);
  const bool moved = rename(dir.c_str(), doomed.c_str()) == 0;
  const int err = errno;
  if (lock >= 0) close(lock);
  if (!moved) throw OpError("cannot delete " + dir.string() + ": " + strerror(err));
  std::error_code ec;
  std::filesystem::remove_all(doomed, ec);
  if (ec) {
    throw OpError("token deleted, but " + doomed.string() +
                  " could not be removed: " + ec.message());
  }
  printf("deleted token \"%s\" (slot %lu, serial %s)\n", info.label.c_str(), slot,
         info.serial.c_str());
}

void CmdList(const Args& args) {
  std::optional<Pkcs11Uri> uri;
  ObjectQuery q = QueryFrom(args);
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, q.uri));
  Session s = OpenRw(*token);
  if (args.Has("login")) {
    Login(s, CKU_USER, NeedPin(args, kUserPin));
  } else {
    LoginIfGiven(s, args);
  }
  if (q.uri && q.uri->pin_value && !GivenPin(args, kUserPin)) Login(s, CKU_USER, *q.uri->pin_value);
  const std::string label = TokenLabel(*token);
  auto objects = Objects(s, q.tmpl);
  std::vector<std::pair<std::string, std::string>> lines;
  for (const auto& [h, o] : objects) {
    std::string kind;
    switch (o->object_class()) {
      case CKO_PRIVATE_KEY:
        kind = "private-key";
        break;
      case CKO_PUBLIC_KEY:
        kind = "public-key";
        break;
      case CKO_SECRET_KEY:
        kind = "secret-key";
        break;
      case CKO_CERTIFICATE:
        kind = "certificate";
        break;
      case CKO_DATA:
        kind = "data";
        break;
      default:
        kind = "class-" + std::to_string(o->object_class());
    }
    std::string desc = KeyDescription(*o);
    char line[64];
    snprintf(line, sizeof line, "%-12s %-12s ", kind.c_str(), desc.empty() ? "-" : desc.c_str());
    lines.emplace_back(ObjectUri(label, *o), line);
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& [u, prefix] : lines) out += prefix + u + "\n";
  WriteOutput(std::nullopt, out);
}

void CmdDelete(const Args& args) {
  ObjectQuery q = QueryFrom(args);
  if (q.empty) {
    throw UsageError("delete: select the objects with a URI (object=, id=, type=) or --label/--id");
  }
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, q.uri));
  Session s = OpenRw(*token);
  if (auto pin = GivenPin(args, kUserPin)) {
    Login(s, CKU_USER, *pin);
  } else if (q.uri && q.uri->pin_value) {
    Login(s, CKU_USER, *q.uri->pin_value);
  } else if (isatty(0)) {
    Login(s, CKU_USER, PromptPin(kUserPin.prompt));
  }
  const std::string label = TokenLabel(*token);
  auto objects = Objects(s, q.tmpl);
  if (objects.empty()) {
    throw OpError(std::string("no object matches") +
                  (s.Info() && s.Info()->state == CKS_RW_PUBLIC_SESSION
                       ? " (private objects are visible only with the user PIN)"
                       : ""));
  }
  std::string out;
  for (const auto& [h, o] : objects) {
    Check(s.DestroyObject(h), "cannot delete " + ObjectUri(label, *o));
    out += "deleted " + ObjectUri(label, *o) + "\n";
  }
  WriteOutput(std::nullopt, out);
}

// CommonObjectTemplate is what every imported object carries.
Template CommonObjectTemplate(CK_OBJECT_CLASS cls, const std::string& label, ByteView id,
                              bool is_private) {
  Template t{attr::Class{cls}, attr::Token{true}, attr::Private{is_private}, attr::Label{label}};
  if (!id.empty()) t.Add(attr::Id{Bytes(id.begin(), id.end())});
  return t;
}

Template Concat(Template a, const Template& b) {
  for (const Attribute& x : b) a.Add(x);
  return a;
}

// RefuseDuplicateId fails if a key or certificate of |classes| already has |id|.
void RefuseDuplicateId(Session& s, ByteView id, std::initializer_list<CK_OBJECT_CLASS> classes) {
  if (id.empty()) return;
  for (CK_OBJECT_CLASS cls : classes) {
    auto found = Check(s.Find({attr::Class{cls}, attr::Id{Bytes(id.begin(), id.end())}}, 1),
                       "cannot search the token");
    if (!found.empty()) {
      throw OpError("the token already has a " + std::string(ClassName(cls)) + " object with id " +
                    Hex(id) + " (delete it first or choose another --id)");
    }
  }
}

Bytes IdOption(const Args& args, ByteView spki) {
  if (auto v = args.Get("id")) return ParseHex(*v, "--id");
  if (spki.empty()) return {};
  return Sha1(spki);
}

void CmdImportKey(const Args& args) {
  const std::string path = args.operands()[0];
  const SecretBytes file = ReadFile(path);
  auto kp = ParsePrivateKey(file);
  if (!kp) throw OpError(path + ": " + kp.error());
  const std::string label = *args.Get("label");
  const Bytes id = IdOption(args, kp->spki);

  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  Session s = OpenRw(*token);
  Login(s, CKU_USER, NeedPin(args, kUserPin));
  RefuseDuplicateId(s, id, {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY});

  Template priv = CommonObjectTemplate(CKO_PRIVATE_KEY, label, id, true);
  priv.Add(attr::KeyType{kp->key_type});
  priv.Add(attr::Sensitive{!args.Has("extractable")});
  priv.Add(attr::Extractable{args.Has("extractable")});
  Template pub = CommonObjectTemplate(CKO_PUBLIC_KEY, label, id, false);
  pub.Add(attr::KeyType{kp->key_type});

  const ObjectHandle priv_h = Check(s.CreateObject(Concat(std::move(priv), kp->private_attrs)),
                                    "cannot store the private key");
  auto pub_h = s.CreateObject(Concat(std::move(pub), kp->public_attrs));
  if (!pub_h) {
    auto undone = s.DestroyObject(priv_h);
    throw OpError("cannot store the public key: " + Describe(pub_h.error()) +
                  (undone ? "; the private key was removed again"
                          : "; the private key could not be removed: " + Describe(undone.error())));
  }
  const std::string tl = TokenLabel(*token);
  printf("imported %s private key %s\n", kp->description.c_str(),
         FormatObjectUri(tl, label, id, CKO_PRIVATE_KEY).c_str());
  printf("imported %s public key %s\n", kp->description.c_str(),
         FormatObjectUri(tl, label, id, CKO_PUBLIC_KEY).c_str());
}

void CmdImportPubkey(const Args& args) {
  const std::string path = args.operands()[0];
  const SecretBytes file = ReadFile(path);
  auto kp = ParsePublicKey(file);
  if (!kp) throw OpError(path + ": " + kp.error());
  const std::string label = *args.Get("label");
  const Bytes id = IdOption(args, kp->spki);
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  Session s = OpenRw(*token);
  LoginIfGiven(s, args);
  RefuseDuplicateId(s, id, {CKO_PUBLIC_KEY});
  Template pub = CommonObjectTemplate(CKO_PUBLIC_KEY, label, id, false);
  pub.Add(attr::KeyType{kp->key_type});
  Check(s.CreateObject(Concat(std::move(pub), kp->public_attrs)), "cannot store the public key");
  printf("imported %s public key %s\n", kp->description.c_str(),
         FormatObjectUri(TokenLabel(*token), label, id, CKO_PUBLIC_KEY).c_str());
}

void CmdImportCert(const Args& args) {
  const std::string path = args.operands()[0];
  const SecretBytes file = ReadFile(path);
  auto cert = ParseCertificate(file);
  if (!cert) throw OpError(path + ": " + cert.error());
  const std::string label = *args.Get("label");
  const Bytes id = IdOption(args, cert->spki);
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  Session s = OpenRw(*token);
  LoginIfGiven(s, args);
  RefuseDuplicateId(s, id, {CKO_CERTIFICATE});
  Template t = CommonObjectTemplate(CKO_CERTIFICATE, label, id, false);
  t.Add(attr::CertificateType{CKC_X_509});
  Check(s.CreateObject(Concat(std::move(t), cert->attrs)), "cannot store the certificate");
  printf("imported certificate %s %s\n", cert->subject.c_str(),
         FormatObjectUri(TokenLabel(*token), label, id, CKO_CERTIFICATE).c_str());
}

void CmdImportSecret(const Args& args) {
  const std::string type = *args.Get("type");
  CK_KEY_TYPE key_type;
  if (type == "aes") {
    key_type = CKK_AES;
  } else if (type == "generic") {
    key_type = CKK_GENERIC_SECRET;
  } else {
    throw UsageError("--type: aes or generic");
  }
  const bool from_hex = args.Has("hex");
  if (from_hex == !args.operands().empty()) {
    throw UsageError("import-secret: give either a FILE or --hex HEX");
  }
  SecretBytes value;
  if (from_hex) {
    const Bytes b = ParseHex(*args.Get("hex"), "--hex");
    value.assign(b.begin(), b.end());
  } else {
    value = ReadFile(args.operands()[0]);
  }
  if (key_type == CKK_AES && value.size() != 16 && value.size() != 24 && value.size() != 32) {
    throw OpError("an AES key is 16, 24 or 32 bytes; this one is " + std::to_string(value.size()));
  }
  if (value.empty()) throw OpError("the secret is empty");
  const std::string label = *args.Get("label");
  const Bytes id = IdOption(args, {});
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, std::nullopt));
  Session s = OpenRw(*token);
  Login(s, CKU_USER, NeedPin(args, kUserPin));
  RefuseDuplicateId(s, id, {CKO_SECRET_KEY});
  Template t = CommonObjectTemplate(CKO_SECRET_KEY, label, id, true);
  t.Add(attr::KeyType{key_type});
  t.Add(attr::Sensitive{!args.Has("extractable")});
  t.Add(attr::Extractable{args.Has("extractable")});
  const size_t bits = value.size() * 8;
  t.Add(Attribute(CKA_VALUE, std::move(value)));
  Check(s.CreateObject(t), "cannot store the secret key");
  printf("imported %s %zu-bit secret key %s\n", type == "aes" ? "AES" : "generic", bits,
         FormatObjectUri(TokenLabel(*token), label, id, CKO_SECRET_KEY).c_str());
}

// ExportOne finds the one object |args| select among |classes| (in order of
// preference) and returns it.
std::shared_ptr<const Object> SelectOne(Session& s, const ObjectQuery& q,
                                        std::initializer_list<CK_OBJECT_CLASS> classes,
                                        const std::string& token_label) {
  if (q.empty) throw UsageError("select the object with a URI or --label/--id");
  for (CK_OBJECT_CLASS cls : classes) {
    if (const Attribute* want = q.tmpl.Find(CKA_CLASS); want && want->AsUlong() != cls) continue;
    Template t = q.tmpl;
    if (!t.Find(CKA_CLASS)) t.Add(attr::Class{cls});
    auto objects = Objects(s, t);
    if (objects.size() > 1) {
      throw OpError(std::to_string(objects.size()) + " objects match (" +
                    ObjectUri(token_label, *objects[0].second) + ", " +
                    ObjectUri(token_label, *objects[1].second) + "...): narrow the selection");
    }
    if (objects.size() == 1) return objects[0].second;
  }
  throw OpError("no matching object");
}

void ExportCommon(const Args& args, bool cert) {
  ObjectQuery q = QueryFrom(args);
  auto lib = OpenLibrary();
  auto token = SelectToken(*lib, SelectorFrom(args, q.uri));
  Session s = OpenRw(*token);
  LoginIfGiven(s, args);
  const std::string label = TokenLabel(*token);
  std::string pem;
  if (cert) {
    auto o = SelectOne(s, q, {CKO_CERTIFICATE}, label);
    ByteView der = mech::AttrValue(*o, CKA_VALUE);
    if (der.empty()) throw OpError("the certificate object has no value");
    pem = Pem("CERTIFICATE", der);
  } else {
    auto o = SelectOne(s, q, {CKO_PUBLIC_KEY, CKO_PRIVATE_KEY, CKO_CERTIFICATE}, label);
    auto spki = PublicKeyInfoOf(*o);
    if (!spki) throw OpError(ObjectUri(label, *o) + ": " + spki.error());
    pem = Pem("PUBLIC KEY", *spki);
  }
  WriteOutput(args.Get("out"), pem);
}

void CmdExportPubkey(const Args& args) { ExportCommon(args, false); }
void CmdExportCert(const Args& args) { ExportCommon(args, true); }

// --- help ---

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"slots",
       "",
       "show the slots and their tokens",
       "Prints one line per slot: its token's label, serial and PIN state, or \"free\" for the\n"
       "slot where init-token makes the next token.\n",
       {},
       {},
       0,
       0,
       CmdSlots},
      {"init-token",
       "--label LABEL [--so-pin PIN] [--pin PIN]",
       "initialise a new token in the free slot",
       "  --label LABEL   the token's label (1 to 32 bytes; unique among the tokens)\n"
       "  --so-pin PIN    the SO PIN (or CRYPTOKI_SO_PIN, or asked twice on a terminal)\n"
       "  --pin PIN       the user PIN (or CRYPTOKI_PIN, or asked twice on a terminal);\n"
       "                  without one the token has no user PIN until init-pin\n",
       {"label", "so-pin", "pin"},
       {},
       0,
       0,
       CmdInitToken},
      {"init-pin",
       "[TOKEN] [--so-pin PIN] [--pin NEWPIN]",
       "set (or reset and unlock) the user PIN, as the SO",
       "  --so-pin PIN    the SO PIN (or CRYPTOKI_SO_PIN, or asked)\n"
       "  --pin PIN       the new user PIN (or CRYPTOKI_PIN, or asked twice)\n",
       Join(kTokenOptions, {"so-pin", "pin"}),
       {},
       0,
       0,
       CmdInitPin},
      {"change-pin",
       "[TOKEN] [--so] [--pin OLD | --so-pin OLD] [--new-pin NEW]",
       "change the user PIN (or with --so the SO PIN)",
       "  --so            change the SO PIN instead of the user PIN\n"
       "  --pin OLD       the current user PIN (or CRYPTOKI_PIN, or asked)\n"
       "  --so-pin OLD    the current SO PIN, with --so (or CRYPTOKI_SO_PIN, or asked)\n"
       "  --new-pin NEW   the new PIN (or CRYPTOKI_NEW_PIN, or asked twice)\n",
       Join(kTokenOptions, {"pin", "so-pin", "new-pin"}),
       {"so"},
       0,
       0,
       CmdChangePin},
      {"delete-token",
       "(--token LABEL | --serial SERIAL | --slot N | pkcs11:token=...)",
       "delete a token and every object on it",
       "Removes the token's directory under directories.tokendir. The token must be named\n"
       "explicitly. This cannot be undone.\n",
       kTokenOptions,
       {},
       0,
       1,
       CmdDeleteToken},
      {"list",
       "[TOKEN] [URI] [--label L] [--id HEX] [--type T] [--pin PIN | --login]",
       "list the objects on a token",
       "Prints one line per object: kind, key type and size, and the object's PKCS#11 URI.\n"
       "Private objects are listed only after a login:\n"
       "  --pin PIN       log in with this user PIN (or set CRYPTOKI_PIN)\n"
       "  --login         ask for the user PIN on the terminal\n",
       Join(kTokenOptions, {"pin", "label", "id", "type"}),
       {"login"},
       0,
       1,
       CmdList},
      {"import-key",
       "FILE --label LABEL [--id HEX] [TOKEN] [--pin PIN] [--extractable]",
       "import a private key and make its public key object",
       "FILE is PEM or DER: PKCS#8 (\"PRIVATE KEY\"), PKCS#1 (\"RSA PRIVATE KEY\") or SEC1\n"
       "(\"EC PRIVATE KEY\"); RSA, EC on P-224/P-256/P-384/P-521, or Ed25519. Encrypted files\n"
       "are refused. Both objects get LABEL and the id (default: SHA-1 of the public key's\n"
       "SubjectPublicKeyInfo, which import-cert uses too). The private key is sensitive and\n"
       "not extractable unless --extractable.\n",
       Join(kTokenOptions, {"label", "id", "pin"}),
       {"extractable"},
       1,
       1,
       CmdImportKey},
      {"import-pubkey",
       "FILE --label LABEL [--id HEX] [TOKEN]",
       "import a public key",
       "FILE is a SubjectPublicKeyInfo (\"PUBLIC KEY\") or PKCS#1 (\"RSA PUBLIC KEY\"), PEM or\n"
       "DER. The id defaults to the SHA-1 of the SubjectPublicKeyInfo.\n",
       Join(kTokenOptions, {"label", "id", "pin"}),
       {},
       1,
       1,
       CmdImportPubkey},
      {"import-cert",
       "FILE --label LABEL [--id HEX] [TOKEN]",
       "import an X.509 certificate",
       "FILE is PEM or DER. CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER and CKA_VALUE come from\n"
       "the certificate; the id defaults to the SHA-1 of its public key's\n"
       "SubjectPublicKeyInfo, matching a key imported without --id.\n",
       Join(kTokenOptions, {"label", "id", "pin"}),
       {},
       1,
       1,
       CmdImportCert},
      {"import-secret",
       "(FILE | --hex HEX) --type aes|generic --label LABEL [--id HEX] [TOKEN]",
       "import a raw secret key",
       "FILE holds the raw key bytes (AES: 16, 24 or 32). The key is sensitive and not\n"
       "extractable unless --extractable.\n",
       Join(kTokenOptions, {"hex", "type", "label", "id", "pin"}),
       {"extractable"},
       0,
       1,
       CmdImportSecret},
      {"export-pubkey",
       "(URI | --label L | --id HEX) [TOKEN] [--out FILE]",
       "write a public key as PEM",
       "Selects one public key (or else a private key or a certificate) and writes its\n"
       "SubjectPublicKeyInfo as PEM to standard output or FILE.\n",
       Join(kTokenOptions, {"label", "id", "type", "out", "pin"}),
       {},
       0,
       1,
       CmdExportPubkey},
      {"export-cert",
       "(URI | --label L | --id HEX) [TOKEN] [--out FILE]",
       "write a certificate as PEM",
       "",
       Join(kTokenOptions, {"label", "id", "type", "out", "pin"}),
       {},
       0,
       1,
       CmdExportCert},
      {"delete",
       "(URI | --label L | --id HEX [--type T]) [TOKEN] [--pin PIN]",
       "delete the objects a URI or --label/--id select",
       "Deletes every matching object and prints its URI. A URI is RFC 7512:\n"
       "pkcs11:token=T;object=LABEL;id=%01%02;type=private (type: public, private, cert,\n"
       "secret-key, data). Private objects need the user PIN (--pin, CRYPTOKI_PIN, or asked\n"
       "on a terminal).\n",
       Join(kTokenOptions, {"label", "id", "type", "pin"}),
       {},
       0,
       1,
       CmdDelete},
  };
  return kCommands;
}

void PrintUsage(FILE* out) {
  fprintf(out,
          "usage: %s [--config FILE] COMMAND [OPTIONS]\n"
          "\n"
          "Administers cryptoki tokens: the directory and settings come from --config FILE,\n"
          "else $CRYPTOKI_CONF, else ~/.local/share/cryptoki/tokens.\n"
          "\n"
          "Commands:\n",
          kProg);
  for (const Command& c : Commands()) fprintf(out, "  %-14s %s\n", c.name, c.summary);
  fprintf(out,
          "\n"
          "TOKEN is --token LABEL, --serial SERIAL or --slot N (or token= in a URI); it may be\n"
          "left out when there is one token. PINs come from --pin/--so-pin, from CRYPTOKI_PIN,\n"
          "CRYPTOKI_SO_PIN and CRYPTOKI_NEW_PIN, or are asked for on a terminal.\n"
          "`%s COMMAND --help` describes a command. Exit status: 0 success, 1 failure,\n"
          "2 usage error.\n",
          kProg);
}

void PrintCommandHelp(const Command& c) {
  printf("usage: %s %s %s\n\n%s.\n", kProg, c.name, c.synopsis, c.summary);
  if (c.details[0] != '\0') printf("\n%s", c.details);
}

// RequiredOptions returns the options command |name| cannot do without.
std::vector<std::string> RequiredOptions(std::string_view name) {
  if (name == "import-secret") return {"type", "label"};
  if (name == "init-token" || name.substr(0, 7) == "import-") return {"label"};
  return {};
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands())
    if (name == c.name) return &c;
  return nullptr;
}

int Main(int argc, char** argv) {
  std::vector<std::string> rest(argv + 1, argv + argc);
  // Global options come before the command.
  size_t i = 0;
  while (i < rest.size() && rest[i].size() > 1 && rest[i][0] == '-') {
    const std::string& a = rest[i];
    if (a == "--help" || a == "-h") {
      PrintUsage(stdout);
      return 0;
    }
    if (a == "--version") {
      printf("%s %d.%d\n", kProg, kLibraryVersion.major, kLibraryVersion.minor);
      return 0;
    }
    if (a == "--config" && i + 1 < rest.size()) {
      g_config_path = rest[i + 1];
      i += 2;
    } else if (a.rfind("--config=", 0) == 0) {
      g_config_path = a.substr(9);
      ++i;
    } else {
      throw UsageError("unknown option " + a + " (try --help)");
    }
  }
  if (i == rest.size()) throw UsageError("no command (try --help)");
  std::string name = rest[i++];
  if (name == "help") {
    if (i == rest.size()) {
      PrintUsage(stdout);
      return 0;
    }
    name = rest[i];
    const Command* c = FindCommand(name);
    if (!c) throw UsageError("unknown command \"" + name + "\" (try --help)");
    PrintCommandHelp(*c);
    return 0;
  }
  const Command* cmd = FindCommand(name);
  if (!cmd) throw UsageError("unknown command \"" + name + "\" (try --help)");
  std::vector<std::string> cmd_args(rest.begin() + static_cast<long>(i), rest.end());
  if (std::find(cmd_args.begin(), cmd_args.end(), "--help") != cmd_args.end() ||
      std::find(cmd_args.begin(), cmd_args.end(), "-h") != cmd_args.end()) {
    PrintCommandHelp(*cmd);
    return 0;
  }
  Command with_config = *cmd;
  with_config.value_options.push_back("config");
  Args args = ParseArgs(with_config, cmd_args);
  if (auto c = args.Get("config")) g_config_path = *c;
  for (const std::string& required : RequiredOptions(cmd->name)) {
    if (!args.Has(required)) {
      throw UsageError(std::string(cmd->name) + ": --" + required + " is required");
    }
  }
  cmd->run(args);
  return 0;
}

}  // namespace
}  // namespace cryptoki::util

int main(int argc, char** argv) {
  using namespace cryptoki::util;
  try {
    return Main(argc, argv);
  } catch (const UsageError& e) {
    fprintf(stderr, "%s: %s\n", kProg, e.what());
    return 2;
  } catch (const OpError& e) {
    fprintf(stderr, "%s: %s\n", kProg, e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    fprintf(stderr, "%s: out of memory\n", kProg);
    return 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "%s: %s\n", kProg, e.what());
    return 1;
  }
}
