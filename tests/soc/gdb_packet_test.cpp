// The gdb server's packet layer: framing, checksums, escaping, run-length encoding, and the
// request parser refusing malformed packets (answered "E01" by the session, never a crash).
#include <gtest/gtest.h>

#include <string>

#include "soc/gdb_packet.hpp"
#include "soc/gdb_request.hpp"
#include "soc/gdb_session.hpp"
#include "soc/gdb_target.hpp"

namespace rproctee::soc::gdb {
namespace {

std::vector<Frame> decode(std::string_view bytes, size_t max_payload = 64 * 1024) {
  PacketDecoder d(max_payload);
  d.feed({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  std::vector<Frame> frames;
  while (auto f = d.next()) frames.push_back(*f);
  return frames;
}

TEST(GdbPacket, ChecksumIsTheModulo256SumAndEncodingAppendsIt) {
  EXPECT_EQ(checksum("OK"), 0x9a);
  EXPECT_EQ(encode_packet("OK"), "$OK#9a");
  EXPECT_EQ(encode_packet(""), "$#00");
}

TEST(GdbPacket, DecoderSplitsPacketsAcksAndTheInterruptByte) {
  const auto frames = decode("+$g#67\x03-$m0,4#fd");
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].kind, Frame::Kind::kAck);
  EXPECT_EQ(frames[1].kind, Frame::Kind::kPacket);
  EXPECT_EQ(frames[1].payload, "g");
  EXPECT_EQ(frames[2].kind, Frame::Kind::kInterrupt);
  EXPECT_EQ(frames[3].kind, Frame::Kind::kNack);
  EXPECT_EQ(frames[4].payload, "m0,4");
}

TEST(GdbPacket, AWrongOrNonHexChecksumIsABadFrameNotAPacket) {
  EXPECT_EQ(decode("$g#68")[0].kind, Frame::Kind::kBadChecksum);
  EXPECT_EQ(decode("$g#zz")[0].kind, Frame::Kind::kBadChecksum);
}

TEST(GdbPacket, APacketLongerThanTheLimitIsRefused) {
  const std::string body(100, 'a');
  const std::string packet = encode_packet(body);
  EXPECT_EQ(decode(packet, 50)[0].kind, Frame::Kind::kBadChecksum);
  EXPECT_EQ(decode(packet, 100)[0].kind, Frame::Kind::kPacket);
}

TEST(GdbPacket, PacketsSplitAcrossReadsAreReassembled) {
  PacketDecoder d;
  const std::string a = "$qSupp", b = "orted#37";
  d.feed({reinterpret_cast<const uint8_t*>(a.data()), a.size()});
  EXPECT_FALSE(d.next());
  d.feed({reinterpret_cast<const uint8_t*>(b.data()), b.size()});
  auto f = d.next();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->payload, "qSupported");
}

TEST(GdbPacket, SpecialCharactersAreEscapedBothWays) {
  const std::string raw = "a$b#c}d*e";
  const std::string packet = encode_packet(raw);
  EXPECT_EQ(packet.substr(0, packet.size() - 3),
            "$a}\x04"
            "b}\x03"
            "c}]d}\x0a"
            "e");
  const auto frames = decode(packet);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].kind, Frame::Kind::kPacket);
  auto back = unescape_binary(frames[0].payload);
  ASSERT_TRUE(back);
  EXPECT_EQ(std::string(back->begin(), back->end()), raw);
  EXPECT_FALSE(unescape_binary("ab}"));  // ends inside an escape
}

TEST(GdbPacket, RunLengthEncodingExpandsAndMalformedRunsAreRefused) {
  EXPECT_EQ(expand_run_length("0* "), "0000");  // ' ' = 32: three more copies
  EXPECT_EQ(expand_run_length("ab"), "ab");
  EXPECT_FALSE(expand_run_length("*a"));  // nothing to repeat
  EXPECT_FALSE(expand_run_length("a*"));  // no count
}

TEST(GdbPacket, HexHelpersRefuseOddLengthsAndNonHex) {
  EXPECT_EQ(to_hex(std::vector<uint8_t>{0x00, 0xab}), "00ab");
  EXPECT_FALSE(from_hex("abc"));
  EXPECT_FALSE(from_hex("zz"));
  EXPECT_FALSE(parse_hex_number(""));
  EXPECT_FALSE(parse_hex_number("12345678901234567"));
  EXPECT_EQ(parse_hex_number("80100450"), 0x80100450u);
}

TEST(GdbRequest, ParsesTheCommandsTheServerServes) {
  auto m = parse_request("m80100450,4");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->kind, Request::Kind::kReadMemory);
  EXPECT_EQ(m->address, 0x80100450u);
  EXPECT_EQ(m->length, 4u);
  auto x =
      parse_request(std::string("X20000000,3:a}\x03"
                                "b",
                                16));
  ASSERT_TRUE(x);
  EXPECT_EQ(x->kind, Request::Kind::kWriteMemory);
  EXPECT_EQ(x->data, (std::vector<uint8_t>{'a', '#', 'b'}));
  auto z = parse_request("Z2,80a00000,4");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->kind, Request::Kind::kInsertPoint);
  EXPECT_EQ(z->point, Request::kWriteWatch);
  EXPECT_EQ(parse_request("vCont;s:1;c")->kind, Request::Kind::kStep);
  EXPECT_EQ(parse_request("vCont;c:1")->kind, Request::Kind::kContinue);
  EXPECT_EQ(parse_request("P10=00000001")->reg, 16u);
  auto xfer = parse_request("qXfer:features:read:target.xml:0,fff");
  ASSERT_TRUE(xfer);
  EXPECT_EQ(xfer->annex, "target.xml");
  EXPECT_EQ(parse_request("qTStatus")->kind, Request::Kind::kUnsupported);
}

TEST(GdbRequest, MalformedPacketsAreRefusedNotTrusted) {
  for (const char* bad : {"m", "m12", "m12,", "mzz,4", "m100000000,4", "M0,2:abc", "M0,2:ab",
                          "X0,2:a", "X0,1:}", "Z9,0,2", "Z0,0", "Z2,0,0", "P10", "P10=zz",
                          "vCont;x", "vCont;", "cqq", "G0", "qXfer:features:read:target.xml:0"})
    EXPECT_FALSE(parse_request(bad)) << bad;
}

TEST(GdbTarget, TheDescriptionNamesTheMProfileSystemAndVfpFeatures) {
  const std::string xml = target_description_xml();
  for (const char* what :
       {"org.gnu.gdb.arm.m-profile", "org.gnu.gdb.arm.m-system", "org.gnu.gdb.arm.vfp",
        "name=\"xpsr\" bitsize=\"32\" regnum=\"16\"", "name=\"msp\"", "name=\"control\"",
        "name=\"d15\" bitsize=\"64\"", "name=\"fpscr\""})
    EXPECT_NE(xml.find(what), std::string::npos) << what;
}

TEST(GdbSessionReplies, StopRepliesCarryTheSignalAndTheWatchedAddress) {
  EXPECT_EQ(stop_reply(DebugStop{DebugStop::kSigtrap}), "T05");
  EXPECT_EQ(stop_reply(DebugStop{DebugStop::kSigsegv}), "T0b");
  EXPECT_EQ(stop_reply(DebugStop{DebugStop::kSigtrap, WatchKind::kWrite, 0x80a00000}),
            "T05watch:80a00000;");
  EXPECT_EQ(stop_reply(DebugStop{DebugStop::kSigtrap, WatchKind::kRead, 0x10}), "T05rwatch:10;");
}

}  // namespace
}  // namespace rproctee::soc::gdb
