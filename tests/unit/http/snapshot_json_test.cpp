// JSON form of the control snapshots: golden field names, and the round trip the admin client
// relies on.
#include "http/snapshot_json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace callcast::http {
namespace {

using nlohmann::json;

control::GroupSnapshot full_snapshot() {
  control::GroupSnapshot group;
  group.group = "13800000001";
  group.master = "13800000001";
  group.state = "live";
  group.created_unix = 1700000123;
  group.publisher = control::PublisherStats{
      "13800000001", "tcp", "10.0.0.2:51000", 12.25, 1, 2, 7, true, 2500, 3, 9};
  group.tracks.push_back(
      {0, "video", "H264", 90000, 1000, 1200000, 812345.5, 3, 4, 2800, 40, 12.5});
  group.tracks.push_back({1, "audio", "OPUS", 48000, 500, 40000, 0.1, 0, 0});
  control::ViewerStats playing;
  playing.viewer = "13900000002";
  playing.state = "playing";
  playing.transport = "udp";
  playing.remote = "10.0.0.3:5004";
  playing.rtp_destination = "10.0.0.3:5004";
  playing.latched = true;
  playing.packets_sent = 18446744073709551615ull;  // the full uint64 range survives
  playing.bytes_sent = 1180000;
  playing.packets_dropped = 10;
  playing.rtcp_reports = 5;
  playing.reception = control::ReceptionStats{0.1, -3, 3.3333333333333335, 1.25};
  playing.repair = control::RepairStats{12, 30, 2, 1, 5};
  playing.qos = control::ViewerQosStats{4, 1, true, 2, 7, "congested", 0.125, 0.0625, 80.5, 30.25};
  group.viewers.push_back(playing);
  control::ViewerStats admitted;
  admitted.viewer = "13900000003";
  admitted.state = "admitted";
  group.viewers.push_back(admitted);
  group.repair = control::RepairStats{14, 33, 3, 1, 6};
  group.qos =
      control::GroupQosStats{6, 2, 3, 8, 2, 1, 5, 3, 2, 1, 1, 1700000, 2000000, 40, 9, 2, 2};
  return group;
}

void expect_equal(const control::GroupSnapshot& a, const control::GroupSnapshot& b) {
  EXPECT_EQ(json(a), json(b));  // compares every member, nulls included
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.created_unix, b.created_unix);
  ASSERT_EQ(a.publisher.has_value(), b.publisher.has_value());
  if (a.publisher) {
    EXPECT_EQ(a.publisher->connected_s, b.publisher->connected_s);
  }
  ASSERT_EQ(a.tracks.size(), b.tracks.size());
  for (std::size_t i = 0; i < a.tracks.size(); ++i) {
    EXPECT_EQ(a.tracks[i].bitrate_bps, b.tracks[i].bitrate_bps);
    EXPECT_EQ(a.tracks[i].clock_rate, b.tracks[i].clock_rate);
  }
  EXPECT_EQ(a.qos.target_bps, b.qos.target_bps);
  EXPECT_EQ(a.qos.keyframe_requests_forwarded, b.qos.keyframe_requests_forwarded);
  EXPECT_EQ(a.qos.publisher_nacks_sent, b.qos.publisher_nacks_sent);
  EXPECT_EQ(a.qos.publisher_packets_recovered, b.qos.publisher_packets_recovered);
  EXPECT_EQ(a.qos.publisher_packets_lost, b.qos.publisher_packets_lost);
  EXPECT_EQ(a.qos.publisher_loss_requests, b.qos.publisher_loss_requests);
  ASSERT_EQ(a.viewers.size(), b.viewers.size());
  for (std::size_t i = 0; i < a.viewers.size(); ++i) {
    EXPECT_EQ(a.viewers[i].packets_sent, b.viewers[i].packets_sent);
    EXPECT_EQ(a.viewers[i].repair.packets_repaired, b.viewers[i].repair.packets_repaired);
    EXPECT_EQ(a.viewers[i].repair.repeats, b.viewers[i].repair.repeats);
    EXPECT_EQ(a.viewers[i].qos.verdict, b.viewers[i].qos.verdict);
    EXPECT_EQ(a.viewers[i].qos.round_trip_ms, b.viewers[i].qos.round_trip_ms);
    EXPECT_EQ(a.viewers[i].qos.thinned, b.viewers[i].qos.thinned);
    EXPECT_EQ(a.viewers[i].qos.packets_thinned, b.viewers[i].qos.packets_thinned);
    ASSERT_EQ(a.viewers[i].reception.has_value(), b.viewers[i].reception.has_value());
    if (a.viewers[i].reception) {
      EXPECT_EQ(a.viewers[i].reception->jitter_ms, b.viewers[i].reception->jitter_ms);
      EXPECT_EQ(a.viewers[i].reception->cumulative_lost, b.viewers[i].reception->cumulative_lost);
    }
  }
}

TEST(SnapshotJson, WritesTheDocumentedFieldNames) {
  const json j = full_snapshot();
  EXPECT_EQ(j, json::parse(R"({
    "group": "13800000001", "master": "13800000001", "state": "live",
    "created_unix": 1700000123,
    "publisher": {"terminal": "13800000001", "transport": "tcp", "remote": "10.0.0.2:51000",
                  "connected_s": 12.25, "malformed_packets": 1, "wrong_channel_packets": 2,
                  "rtcp_sender_reports": 7, "stalled": true, "stalled_for_ms": 2500,
                  "stalls": 3, "rtcp_receiver_reports_sent": 9},
    "tracks": [
      {"id": 0, "media": "video", "codec": "H264", "clock_rate": 90000, "packets": 1000,
       "bytes": 1200000, "bitrate_bps": 812345.5, "malformed": 3, "keyframes": 4,
       "stale_packets_dropped": 2800, "held_for_keyframe": 40, "lag_ms": 12.5},
      {"id": 1, "media": "audio", "codec": "OPUS", "clock_rate": 48000, "packets": 500,
       "bytes": 40000, "bitrate_bps": 0.1, "malformed": 0, "keyframes": 0,
       "stale_packets_dropped": 0, "held_for_keyframe": 0, "lag_ms": 0.0}],
    "viewers": [
      {"viewer": "13900000002", "state": "playing", "transport": "udp",
       "remote": "10.0.0.3:5004", "rtp_destination": "10.0.0.3:5004", "latched": true,
       "packets_sent": 18446744073709551615, "bytes_sent": 1180000,
       "packets_dropped": 10, "rtcp_reports": 5,
       "reception": {"fraction_lost": 0.1, "cumulative_lost": -3,
                     "jitter_ms": 3.3333333333333335, "age_s": 1.25},
       "repair": {"nacks_received": 12, "packets_repaired": 30, "misses": 2, "capped": 1, "repeats": 5},
       "qos": {"plis": 4, "firs": 1, "thinned": true, "times_thinned": 2, "packets_thinned": 7,
               "verdict": "congested", "loss": 0.125, "residual_loss": 0.0625, "round_trip_ms": 80.5,
               "queue_delay_ms": 30.25}},
      {"viewer": "13900000003", "state": "admitted", "transport": "", "remote": "",
       "rtp_destination": "", "latched": false, "packets_sent": 0, "bytes_sent": 0, "packets_dropped": 0, "rtcp_reports": 0,
       "reception": null,
       "repair": {"nacks_received": 0, "packets_repaired": 0, "misses": 0, "capped": 0, "repeats": 0},
       "qos": {"plis": 0, "firs": 0, "thinned": false, "times_thinned": 0, "packets_thinned": 0,
               "verdict": "unknown", "loss": 0.0, "residual_loss": 0.0, "round_trip_ms": null,
               "queue_delay_ms": null}}],
    "repair": {"nacks_received": 14, "packets_repaired": 33, "misses": 3, "capped": 1, "repeats": 6},
    "qos": {"plis_received": 6, "firs_received": 2, "repair_miss_requests": 3,
            "keyframe_requests_merged": 8, "keyframe_requests_forwarded": 2,
            "keyframe_requests_unsent": 1, "bitrate_requests": 5, "bitrate_decreases": 3,
            "bitrate_increases": 2, "bitrate_requests_unsent": 1, "thinned_viewers": 1,
            "target_bps": 1700000, "ceiling_bps": 2000000, "publisher_nacks_sent": 40,
            "publisher_packets_recovered": 9, "publisher_packets_lost": 2,
            "publisher_loss_requests": 2}
  })"));
}

TEST(SnapshotJson, AbsentPublisherIsNull) {
  control::GroupSnapshot group;
  group.group = "1";
  group.master = "1";
  group.state = "waiting_for_master";
  const json j = group;
  EXPECT_TRUE(j.at("publisher").is_null());
  EXPECT_EQ(j.at("tracks"), json::array());
  EXPECT_EQ(j.at("viewers"), json::array());
  EXPECT_TRUE(j.at("qos").at("target_bps").is_null()) << "no bitrate asked for yet";
}

TEST(SnapshotJson, RoundTripThroughText) {
  const control::GroupSnapshot original = full_snapshot();
  const auto parsed = parse_group_snapshot(json(original).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  expect_equal(original, *parsed);
}

TEST(SnapshotJson, SnapshotWithoutTheStallFieldsOfAnOlderMediaSideStillParses) {
  json old = full_snapshot();
  for (const char* key : {"stalled", "stalled_for_ms", "stalls", "rtcp_receiver_reports_sent"})
    old["publisher"].erase(key);
  for (const char* key : {"stale_packets_dropped", "held_for_keyframe", "lag_ms"})
    old["tracks"][0].erase(key);
  old.erase("repair");
  old["viewers"][0].erase("repair");
  old.erase("qos");
  old["viewers"][0].erase("qos");
  const auto parsed = parse_group_snapshot(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->repair.nacks_received, 0U);
  EXPECT_EQ(parsed->viewers[0].repair.packets_repaired, 0U);
  EXPECT_EQ(parsed->qos.plis_received, 0U);
  EXPECT_FALSE(parsed->qos.target_bps);
  EXPECT_EQ(parsed->viewers[0].qos.verdict, "unknown");
  EXPECT_FALSE(parsed->viewers[0].qos.thinned);
  EXPECT_FALSE(parsed->publisher->stalled);
  EXPECT_EQ(parsed->publisher->stalls, 0U);
  EXPECT_EQ(parsed->publisher->rtcp_receiver_reports_sent, 0U);
  EXPECT_EQ(parsed->tracks[0].stale_packets_dropped, 0U);
}

TEST(SnapshotJson, SnapshotWithoutThePublisherNackFieldsStillParses) {
  json old = full_snapshot();
  for (const char* key : {"publisher_nacks_sent", "publisher_packets_recovered",
                          "publisher_packets_lost", "publisher_loss_requests"})
    old["qos"].erase(key);
  const auto parsed = parse_group_snapshot(old.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->qos.publisher_nacks_sent, 0U);
  EXPECT_EQ(parsed->qos.publisher_packets_lost, 0U);
  EXPECT_EQ(parsed->qos.plis_received, 6U);
}

TEST(SnapshotJson, RoundTripWithoutOptionalParts) {
  control::GroupSnapshot original;
  original.group = "7";
  original.master = "7";
  original.state = "closed";
  const auto parsed = parse_group_snapshot(json(original).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  expect_equal(original, *parsed);
}

TEST(SnapshotJson, GroupListRoundTrip) {
  const std::vector<control::GroupSnapshot> groups = {full_snapshot(), control::GroupSnapshot{}};
  const auto parsed = parse_group_list(json({{"groups", groups}}).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->size(), 2u);
  expect_equal(groups[0], (*parsed)[0]);
  expect_equal(groups[1], (*parsed)[1]);
}

TEST(SnapshotJson, CreatedAndAdmittedRoundTrip) {
  const control::GroupCreated created{"1",  "rtsp://h:8554/1?t=x",         "192.0.2.5", 8000,
                                      8001, "http://h:8080/whip/1?token=x"};
  const auto created_back = json(created).get<control::GroupCreated>();
  EXPECT_EQ(created_back.whip_url, created.whip_url);
  EXPECT_EQ(created_back.group, created.group);
  EXPECT_EQ(created_back.publish_url, created.publish_url);
  EXPECT_EQ(created_back.rtp_host, "192.0.2.5");
  EXPECT_EQ(created_back.rtp_port, 8000);
  EXPECT_EQ(created_back.rtcp_port, 8001);
  // An older media side's answer has no RTP address: still read.
  const auto older = nlohmann::json::parse(R"({"group":"1","publish_url":"rtsp://h/1"})");
  EXPECT_EQ(older.get<control::GroupCreated>().rtp_port, 0);
  control::ViewerAdmitted admitted;
  admitted.group = "1";
  admitted.viewer = "2";
  admitted.play_url = "rtsp://h:8554/1?t=y";
  admitted.tracks = {
      {"video", "H264", 90000, 0, 96, "packetization-mode=1;profile-level-id=42e01f"},
      {"audio", "MPEG4-GENERIC", 48000, 2, 97, "config=1190"}};
  admitted.rtp_host = "192.0.2.5";
  admitted.rtp_port = 8000;
  admitted.rtcp_port = 8001;
  admitted.whep_url = "http://h:8080/whep/1?token=y";
  const auto admitted_back = json(admitted).get<control::ViewerAdmitted>();
  EXPECT_EQ(admitted_back.whep_url, admitted.whep_url);
  EXPECT_EQ(admitted_back.viewer, "2");
  EXPECT_EQ(admitted_back.play_url, admitted.play_url);
  ASSERT_EQ(admitted_back.tracks.size(), 2U);
  EXPECT_EQ(admitted_back.tracks[0].fmtp, admitted.tracks[0].fmtp);
  EXPECT_EQ(admitted_back.tracks[1].channels, 2U);
  EXPECT_EQ(admitted_back.tracks[1].payload_type, 97);
  EXPECT_EQ(admitted_back.rtp_host, "192.0.2.5");
  EXPECT_EQ(admitted_back.rtcp_port, 8001);
}

// Issue 13: the phone viewer request of POST /v1/groups/{group}/phone-viewers and its answer.
TEST(SnapshotJson, PhoneViewerRequestRoundTripsAndAMissingRouteFieldIsAnError) {
  control::PhoneViewerRequest request;
  request.group = "13800000001";  // from the path: not in the body
  request.viewer = "13900000002";
  request.signaling_address = "198.51.100.9";
  request.tracks = {{"video", "10.0.0.2", 40000, 40001, 102, "", 1},
                    {"audio", "10.0.0.2", 40002, 40003, 0, "PCMU", 1}};
  const auto parsed = parse_phone_viewer_request(json(request).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->viewer, request.viewer);
  EXPECT_EQ(parsed->signaling_address, request.signaling_address);
  ASSERT_EQ(parsed->tracks.size(), 2U);
  EXPECT_EQ(parsed->tracks[0].payload_type, 102);
  EXPECT_EQ(parsed->tracks[1].rtcp_port, 40003);
  EXPECT_EQ(parsed->tracks[0].transcode_to, "");
  EXPECT_EQ(parsed->tracks[1].transcode_to, "PCMU");

  json broken = json(request);
  broken["tracks"][0].erase("rtp_port");
  EXPECT_FALSE(parse_phone_viewer_request(broken.dump()).ok());
  EXPECT_FALSE(
      parse_phone_viewer_request(
          R"({"viewer":"1","signaling_address":"x","tracks":[{"media":"video","host":"h","rtp_port":70000,"rtcp_port":1,"payload_type":1}]})")
          .ok())
      << "a port out of range is an error";
  const auto started = parse_phone_viewer_started(R"({"session":"abc"})");
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->session, "abc");
}

// Issue 13: POST /v1/groups/{group}/phone-publisher's body: checked before anything reads it.
TEST(SnapshotJson, PhonePublisherRequestRoundTripsAndOutOfRangeFieldsAreErrors) {
  control::PhonePublisherRequest request;
  request.master = "13800000001";
  request.signaling_address = "198.51.100.9";
  control::PhonePublishTrack video;
  video.media = "video";
  video.encoding = "H264";
  video.clock_rate = 90000;
  video.payload_type = 102;
  video.fmtp = "packetization-mode=0";
  video.host = "10.0.0.2";
  video.rtp_port = 40000;
  video.rtcp_port = 40001;
  video.nack = true;
  control::PhonePublishTrack audio = video;
  audio.media = "audio";
  audio.encoding = "opus";
  audio.clock_rate = 48000;
  audio.channels = 2;
  audio.payload_type = 111;
  audio.nack = false;
  request.tracks = {video, audio};
  const auto parsed = parse_phone_publisher_request(json(request).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->master, request.master);
  ASSERT_EQ(parsed->tracks.size(), 2U);
  EXPECT_EQ(parsed->tracks[0].fmtp, "packetization-mode=0");
  EXPECT_TRUE(parsed->tracks[0].nack);
  EXPECT_EQ(parsed->tracks[1].channels, 2U);
  EXPECT_EQ(parsed->tracks[1].clock_rate, 48000U);

  for (const auto& [field, value] :
       std::vector<std::pair<std::string, json>>{{"rtp_port", 0},
                                                 {"rtcp_port", 65536},
                                                 {"payload_type", 128},
                                                 {"clock_rate", 0},
                                                 {"channels", 9},
                                                 {"payload_type", "x"}}) {
    json broken = json(request);
    broken["tracks"][1][field] = value;
    EXPECT_FALSE(parse_phone_publisher_request(broken.dump()).ok()) << field << "=" << value;
  }
  json missing = json(request);
  missing.erase("master");
  EXPECT_FALSE(parse_phone_publisher_request(missing.dump()).ok());
  const auto started = parse_phone_publisher_started(R"({"session":"s1"})");
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->session, "s1");
}

TEST(SnapshotJson, ParseRejectsText) {
  const auto parsed = parse_group_snapshot("{not json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), "not valid JSON");
}

TEST(SnapshotJson, ParseRejectsAMissingMember) {
  json j = full_snapshot();
  j.erase("tracks");
  const auto parsed = parse_group_snapshot(j.dump());
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find("tracks"), std::string::npos) << parsed.error();
}

TEST(SnapshotJson, ParseRejectsAMissingOptionalMember) {
  json j = full_snapshot();
  j.erase("publisher");  // optional members are written as null, never left out
  EXPECT_FALSE(parse_group_snapshot(j.dump()).ok());
}

TEST(SnapshotJson, ParseRejectsAWrongType) {
  json j = full_snapshot();
  j["viewers"][0]["packets_sent"] = "many";
  EXPECT_FALSE(parse_group_snapshot(j.dump()).ok());
  json k = full_snapshot();
  k["publisher"] = "13800000001";
  EXPECT_FALSE(parse_group_snapshot(k.dump()).ok());
  json q = full_snapshot();
  q["viewers"][0]["qos"]["round_trip_ms"] = "slow";
  EXPECT_FALSE(parse_group_snapshot(q.dump()).ok());
  json r = full_snapshot();
  r["qos"].erase("keyframe_requests_forwarded");  // within "qos", every member is written
  EXPECT_FALSE(parse_group_snapshot(r.dump()).ok());
}

TEST(SnapshotJson, ParseGroupListNeedsTheGroupsMember) {
  EXPECT_FALSE(parse_group_list(R"({"group":[]})").ok());
  EXPECT_FALSE(parse_group_list("[]").ok());
  const auto empty = parse_group_list(R"({"groups":[]})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SnapshotJson, ParseCreatedAndAdmittedBodies) {
  const auto created =
      parse_group_created(R"({"group":"138","publish_url":"rtsp://h:1/groups/138?token=t"})");
  ASSERT_TRUE(created.ok()) << created.error();
  EXPECT_EQ(created->publish_url, "rtsp://h:1/groups/138?token=t");
  const auto admitted = parse_viewer_admitted(R"({"group":"138","viewer":"139","play_url":"u"})");
  ASSERT_TRUE(admitted.ok()) << admitted.error();
  EXPECT_EQ(admitted->viewer, "139");
  EXPECT_FALSE(parse_group_created(R"({"group":"138"})").ok());
  EXPECT_FALSE(parse_viewer_admitted("[]").ok());
}

control::EventPage two_event_page() {
  control::EventPage page;
  page.events.push_back(
      {11, 1700000000123, {core::GroupEventKind::master_joined, "138", "138", ""}});
  page.events.push_back(
      {12, 1700000000456, {core::GroupEventKind::viewer_left, "138", "139", "teardown"}});
  page.next = 12;
  page.epoch = "00000000deadbeef";
  return page;
}

TEST(SnapshotJson, EventPageWritesTheDocumentedFieldNames) {
  const json j = two_event_page();
  EXPECT_EQ(j, json::parse(R"({"events":[
      {"seq":11,"kind":"master_joined","group":"138","terminal":"138","reason":"",
       "unix_ms":1700000000123},
      {"seq":12,"kind":"viewer_left","group":"138","terminal":"139","reason":"teardown",
       "unix_ms":1700000000456}],
    "next":12,"gap":false,"epoch":"00000000deadbeef"})"));
}

TEST(SnapshotJson, EventPageRoundTripThroughText) {
  const control::EventPage original = two_event_page();
  const auto parsed = parse_event_page(json(original).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed->next, 12U);
  EXPECT_FALSE(parsed->gap);
  EXPECT_EQ(parsed->epoch, original.epoch);
  ASSERT_EQ(parsed->events.size(), 2U);
  EXPECT_EQ(parsed->events[1].seq, 12U);
  EXPECT_EQ(parsed->events[1].unix_ms, 1700000000456);
  EXPECT_EQ(parsed->events[1].event.kind, core::GroupEventKind::viewer_left);
  EXPECT_EQ(parsed->events[1].event.terminal, "139");
  EXPECT_EQ(parsed->events[1].event.reason, "teardown");
}

TEST(SnapshotJson, EventPageSkipsKindsItDoesNotKnow) {
  json j = two_event_page();
  j["events"][0]["kind"] = "master_renamed";
  const auto parsed = parse_event_page(j.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  ASSERT_EQ(parsed->events.size(), 1U);
  EXPECT_EQ(parsed->events[0].seq, 12U);
  EXPECT_EQ(parsed->next, 12U);
}

TEST(SnapshotJson, EventPageParseRejectsBadShapes) {
  EXPECT_FALSE(parse_event_page("{").ok());
  json no_next = two_event_page();
  no_next.erase("next");
  EXPECT_FALSE(parse_event_page(no_next.dump()).ok());
  json object_events = two_event_page();
  object_events["events"] = json::object({{"a", 1}});
  EXPECT_FALSE(parse_event_page(object_events.dump()).ok());
  json negative_seq = two_event_page();
  negative_seq["next"] = -1;
  EXPECT_FALSE(parse_event_page(negative_seq.dump()).ok());
  json fractional_seq = two_event_page();
  fractional_seq["events"][0]["seq"] = 1.5;
  EXPECT_FALSE(parse_event_page(fractional_seq.dump()).ok());
  json missing_reason = two_event_page();
  missing_reason["events"][1].erase("reason");
  EXPECT_FALSE(parse_event_page(missing_reason.dump()).ok());
}

TEST(SnapshotJson, EventKindNamesRoundTrip) {
  for (const auto kind : {core::GroupEventKind::master_joined, core::GroupEventKind::master_lost,
                          core::GroupEventKind::viewer_joined, core::GroupEventKind::viewer_left,
                          core::GroupEventKind::group_closed, core::GroupEventKind::master_stalled,
                          core::GroupEventKind::master_resumed}) {
    EXPECT_EQ(parse_event_kind(core::to_string(kind)), kind);
  }
  EXPECT_EQ(parse_event_kind("Master_Joined"), std::nullopt);
  EXPECT_EQ(parse_event_kind(""), std::nullopt);
}

}  // namespace
}  // namespace callcast::http
