// The configuration contract: CRYPTOKI_CONF, key names, defaults, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "cryptoki/config.h"
#include "cryptoki/log.h"

namespace cryptoki {
namespace {

using ::testing::HasSubstr;

TEST(ConfigTest, DefaultsWithoutFile) {
  auto c = ParseConfig("", "");
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->backend, Config::Backend::kFile);
  EXPECT_EQ(c->max_pin_failures, 10u);
  EXPECT_TRUE(c->IsMechanismAllowed(CKM_AES_GCM));
}

TEST(ConfigTest, DefaultTokenDirFollowsXdgDataHome) {
  setenv("XDG_DATA_HOME", "/data/home", 1);
  EXPECT_EQ(DefaultTokenDir(), "/data/home/cryptoki/tokens");
  unsetenv("XDG_DATA_HOME");
  setenv("HOME", "/home/u", 1);
  EXPECT_EQ(DefaultTokenDir(), "/home/u/.local/share/cryptoki/tokens");
}

TEST(ConfigTest, SoftHsmKeysAreUnderstood) {
  auto c = ParseConfig(
      "# softhsm2.conf\n"
      "directories.tokendir = /var/lib/tokens   # comment\n"
      "objectstore.backend = file\n"
      "log.level = INFO\n"
      "slots.removable = true\n"
      "slots.mechanisms = -CKM_MD5,CKM_SHA_1\n",
      "softhsm2.conf");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->token_dir, "/var/lib/tokens");
  EXPECT_EQ(c->log_level, LogLevel::kInfo);
  EXPECT_TRUE(c->removable_slots);
  EXPECT_FALSE(c->IsMechanismAllowed(CKM_MD5));
  EXPECT_FALSE(c->IsMechanismAllowed(CKM_SHA_1));
  EXPECT_TRUE(c->IsMechanismAllowed(CKM_SHA256));
}

TEST(ConfigTest, AllowListOffersOnlyListedMechanisms) {
  auto c = ParseConfig("slots.mechanisms = CKM_AES_GCM, CKM_SHA256\n", "f");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(c->IsMechanismAllowed(CKM_AES_GCM));
  EXPECT_FALSE(c->IsMechanismAllowed(CKM_AES_CBC));
}

TEST(ConfigTest, MalformedLineNamesFileAndLine) {
  auto c = ParseConfig("log.level = INFO\nthis is not a setting\n", "/etc/cryptoki.conf");
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message, HasSubstr("/etc/cryptoki.conf:2:"));
}

TEST(ConfigTest, UnknownKeyIsAnError) {
  auto c = ParseConfig("\n\ndirectories.tokendirr = /x\n", "c.conf");
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message, HasSubstr("c.conf:3: unknown key 'directories.tokendirr'"));
}

TEST(ConfigTest, BadValuesAreErrors) {
  EXPECT_FALSE(ParseConfig("pin.max_failures = 0\n", "f").has_value());
  EXPECT_FALSE(ParseConfig("pin.max_failures = ten\n", "f").has_value());
  EXPECT_FALSE(ParseConfig("objectstore.backend = db\n", "f").has_value());
  EXPECT_FALSE(ParseConfig("slots.mechanisms = CKM_NOPE\n", "f").has_value());
  EXPECT_FALSE(ParseConfig("pin.min_length = 10\npin.max_length = 5\n", "f").has_value());
}

TEST(ConfigTest, LogDestinationIsStderrOrSyslog) {
  auto defaults = ParseConfig("", "");
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->log_destination, LogDestination::kStderr);
  auto syslog = ParseConfig("log.destination = SysLog  # to the system log\n", "f");
  ASSERT_TRUE(syslog.has_value()) << syslog.error().message;
  EXPECT_EQ(syslog->log_destination, LogDestination::kSyslog);
  auto back = ParseConfig("log.destination = syslog\nlog.destination = stderr\n", "f");
  ASSERT_TRUE(back.has_value()) << back.error().message;
  EXPECT_EQ(back->log_destination, LogDestination::kStderr);
}

TEST(ConfigTest, BadLogDestinationNamesFileAndLine) {
  auto c = ParseConfig("log.level = INFO\n\nlog.destination = /var/log/cryptoki\n", "c.conf");
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message,
            "c.conf:3: bad value '/var/log/cryptoki' for log.destination (expected stderr or "
            "syslog)");
  EXPECT_FALSE(ParseConfig("log.destination =\n", "f").has_value());
}

// Delivery to syslog is not checked (there may be no syslog daemon); only
// that logging there works without a crash and no longer writes to stderr,
// and that stderr is used again afterwards.
TEST(ConfigTest, LogGoesWhereConfigured) {
  Config c = *ParseConfig("log.destination = syslog\nlog.level = DEBUG\n", "f");
  ConfigureLog(c);
  ::testing::internal::CaptureStderr();
  LogError("to syslog %d", 1);
  LogDebug("to syslog %s", "debug");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");

  c.log_destination = LogDestination::kStderr;
  ConfigureLog(c);
  ::testing::internal::CaptureStderr();
  LogWarning("to stderr %d", 2);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "cryptoki: to stderr 2\n");

  ConfigureLog(*ParseConfig("", ""));  // back to the defaults: ERROR to stderr
  ::testing::internal::CaptureStderr();
  LogInfo("not written");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

TEST(ConfigTest, LoadConfigReadsCryptokiConf) {
  const std::string path = std::string(getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp") +
                           "/cryptoki-config-test.conf";
  std::ofstream(path) << "directories.tokendir = /somewhere\npin.max_failures = 4\n";
  setenv("CRYPTOKI_CONF", path.c_str(), 1);
  auto c = LoadConfig();
  unsetenv("CRYPTOKI_CONF");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->token_dir, "/somewhere");
  EXPECT_EQ(c->max_pin_failures, 4u);
  EXPECT_EQ(c->source, path);
}

TEST(ConfigTest, MissingFileIsAnErrorNamingIt) {
  setenv("CRYPTOKI_CONF", "/nonexistent/cryptoki.conf", 1);
  auto c = LoadConfig();
  unsetenv("CRYPTOKI_CONF");
  ASSERT_FALSE(c.has_value());
  EXPECT_THAT(c.error().message, HasSubstr("/nonexistent/cryptoki.conf"));
}

}  // namespace
}  // namespace cryptoki
