// callcast-peer-gst: the "real peer" of bench/fanout.sh (issue 5).
//
// A plain gst-rtsp-server program, configured the way one would deploy it to serve one live
// stream to many viewers: ONE shared media at /clip that re-serves, unchanged, the RTP it
// receives on two UDP ports (H.264 video and AAC audio, as callcast-bench media publishes them).
// Every viewer that PLAYs /clip becomes one more destination of the media's shared multiudpsink,
// so what is measured is gst-rtsp-server's own fan-out path, not a transcoder.
//
//   callcast-peer-gst --rtsp-port P --video-port V --audio-port A --audio-config HEX
//                     [--audio-clock-rate 48000] [--audio-channels 2]
//                     [--max-threads 64] [--backlog 4096]
//                     [--address 127.0.0.1] [--rtx-time MS]
//
// --rtx-time MS (bench/loss.sh, issue 12) turns on what gst-rtsp-server offers against loss:
// the RTP/AVPF profile and RFC 4588 retransmission of the last MS ms on a NACK (each track is
// then depayloaded and payloaded again, see make_launch_line). --address is where RTSP listens (0.0.0.0 in the loss bench's lab).
//
// Prints `ready rtsp://127.0.0.1:P/clip` on stdout once listening; exits 0 on SIGTERM/SIGINT,
// 1 with a message on stderr when it cannot start.

#include <errno.h>
#include <getopt.h>
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

// A viewer of the bench sends no RTCP receiver reports; a run with thousands of viewers lasts
// longer than the default 60 s session timeout would allow for the first ones.
enum { kSessionTimeoutSeconds = 3600 };

// The input sockets get room for a keyframe burst (hundreds of packets) while the streaming
// thread is busy sending to every viewer, but not for seconds of backlog: an overloaded relay
// shows as loss, not as ever-growing latency. The same size as callcast-limit-relay's input.
enum { kInputBufferBytes = 2 * 1024 * 1024 };

typedef struct {
  int rtsp_port;
  int video_port;
  int audio_port;
  const char* audio_config;
  int audio_clock_rate;
  int audio_channels;
  int max_threads;
  int backlog;
  const char* address;
  int rtx_time_ms;
} PeerOptions;

static void usage(FILE* out) {
  fprintf(out,
          "usage: callcast-peer-gst --rtsp-port P --video-port V --audio-port A "
          "--audio-config HEX\n"
          "                         [--audio-clock-rate 48000] [--audio-channels 2]\n"
          "                         [--max-threads 64] [--backlog 4096]\n"
          "                         [--address 127.0.0.1] [--rtx-time MS]\n");
}

// Strict integer parse: the whole text, within [min, max].
static gboolean parse_int(const char* text, int min, int max, int* value) {
  char* end = NULL;
  errno = 0;
  const long parsed = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || parsed < min || parsed > max) return FALSE;
  *value = (int)parsed;
  return TRUE;
}

static gboolean is_hex(const char* text) {
  if (*text == '\0') return FALSE;
  for (const char* c = text; *c != '\0'; ++c) {
    if (!g_ascii_isxdigit(*c)) return FALSE;
  }
  return TRUE;
}

static gboolean parse_options(int argc, char** argv, PeerOptions* options) {
  enum {
    kRtspPort = 1,
    kVideoPort,
    kAudioPort,
    kAudioConfig,
    kAudioClockRate,
    kAudioChannels,
    kMaxThreads,
    kBacklog,
    kAddress,
    kRtxTime,
    kHelp
  };
  static const struct option kLongOptions[] = {
      {"rtsp-port", required_argument, NULL, kRtspPort},
      {"video-port", required_argument, NULL, kVideoPort},
      {"audio-port", required_argument, NULL, kAudioPort},
      {"audio-config", required_argument, NULL, kAudioConfig},
      {"audio-clock-rate", required_argument, NULL, kAudioClockRate},
      {"audio-channels", required_argument, NULL, kAudioChannels},
      {"max-threads", required_argument, NULL, kMaxThreads},
      {"backlog", required_argument, NULL, kBacklog},
      {"address", required_argument, NULL, kAddress},
      {"rtx-time", required_argument, NULL, kRtxTime},
      {"help", no_argument, NULL, kHelp},
      {NULL, 0, NULL, 0},
  };
  *options = (PeerOptions){.rtsp_port = -1,
                           .video_port = -1,
                           .audio_port = -1,
                           .audio_config = NULL,
                           .audio_clock_rate = 48000,
                           .audio_channels = 2,
                           .max_threads = 64,
                           .backlog = 4096,
                           .address = "127.0.0.1",
                           .rtx_time_ms = 0};
  int option;
  while ((option = getopt_long(argc, argv, "", kLongOptions, NULL)) != -1) {
    gboolean ok = TRUE;
    switch (option) {
      case kRtspPort:
        ok = parse_int(optarg, 1, 65535, &options->rtsp_port);
        break;
      case kVideoPort:
        ok = parse_int(optarg, 1, 65535, &options->video_port);
        break;
      case kAudioPort:
        ok = parse_int(optarg, 1, 65535, &options->audio_port);
        break;
      case kAudioConfig:
        options->audio_config = optarg;
        ok = is_hex(optarg);
        break;
      case kAudioClockRate:
        ok = parse_int(optarg, 8000, 192000, &options->audio_clock_rate);
        break;
      case kAudioChannels:
        ok = parse_int(optarg, 1, 8, &options->audio_channels);
        break;
      case kMaxThreads:
        ok = parse_int(optarg, 1, 4096, &options->max_threads);
        break;
      case kBacklog:
        ok = parse_int(optarg, 1, INT_MAX, &options->backlog);
        break;
      case kAddress:
        options->address = optarg;
        break;
      case kRtxTime:
        ok = parse_int(optarg, 0, 60000, &options->rtx_time_ms);
        break;
      case kHelp:
        usage(stdout);
        exit(0);
      default:
        usage(stderr);
        return FALSE;
    }
    if (!ok) {
      fprintf(stderr, "callcast-peer-gst: bad value for --%s: '%s'\n",
              kLongOptions[option - 1].name, optarg);
      return FALSE;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "callcast-peer-gst: unexpected argument '%s'\n", argv[optind]);
    return FALSE;
  }
  if (options->rtsp_port < 0 || options->video_port < 0 || options->audio_port < 0 ||
      options->audio_config == NULL) {
    fprintf(stderr,
            "callcast-peer-gst: --rtsp-port, --video-port, --audio-port and --audio-config are "
            "required\n");
    usage(stderr);
    return FALSE;
  }
  return TRUE;
}

// udpsrc elements named payN are gst-rtsp-server's way to re-stream RTP as it arrives: the
// element's caps become stream N's SDP (no sprop-parameter-sets: the publisher repeats SPS/PPS
// in band before every IDR, so a late viewer decodes from its first keyframe).
static gchar* make_launch_line(const PeerOptions* options) {
  // With RTX, each track goes through a depayloader and a payloader named payN: gst-rtsp-server
  // takes the payload type to retransmit (and picks a free one for RFC 4588) from payN's "pt"
  // property, which a udpsrc lacks, so RTX would map payload type 0 and never resend anything.
  // This is how one deploys gst-rtsp-server with RTX; the depayloader passes each access unit
  // on as soon as its last packet is in.
  const gboolean repay = options->rtx_time_ms > 0;
  gchar* video_tail =
      repay ? g_strdup(" ! rtph264depay ! h264parse"
                    " ! rtph264pay name=pay0 pt=96 config-interval=-1 mtu=1400")
            : g_strdup("");
  gchar* audio_tail = repay ? g_strdup(" ! rtpmp4gdepay ! rtpmp4gpay name=pay1 pt=97") : g_strdup("");
  gchar* launch = g_strdup_printf(
      "( udpsrc name=%s address=127.0.0.1 port=%d buffer-size=%d "
      "caps=\"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96,"
      "packetization-mode=(string)1\"%s "
      "udpsrc name=%s address=127.0.0.1 port=%d buffer-size=%d "
      "caps=\"application/x-rtp,media=audio,clock-rate=%d,encoding-name=MPEG4-GENERIC,"
      "encoding-params=(string)%d,payload=97,mode=(string)AAC-hbr,sizelength=(string)13,"
      "indexlength=(string)3,indexdeltalength=(string)3,config=(string)%s,"
      "streamtype=(string)5\"%s )",
      repay ? "vin" : "pay0", options->video_port, kInputBufferBytes, video_tail,
      repay ? "ain" : "pay1", options->audio_port, kInputBufferBytes, options->audio_clock_rate,
      options->audio_channels, options->audio_config, audio_tail);
  g_free(video_tail);
  g_free(audio_tail);
  return launch;
}

// The factory only parses the launch line at the first DESCRIBE; a typo would then surface as a
// viewer failure deep into a benchmark run. Parse it once up front instead.
static gboolean check_launch_line(const gchar* launch) {
  GError* error = NULL;
  GstElement* pipeline = gst_parse_launch(launch, &error);
  if (pipeline != NULL) gst_object_unref(pipeline);
  if (error != NULL) {
    fprintf(stderr, "callcast-peer-gst: bad launch line: %s\n", error->message);
    g_error_free(error);
    return FALSE;
  }
  return pipeline != NULL;
}

static void on_new_session(GstRTSPClient* client, GstRTSPSession* session, gpointer user_data) {
  (void)client;
  (void)user_data;
  gst_rtsp_session_set_timeout(session, kSessionTimeoutSeconds);
}

// Set once a PLAY has started the shared media: from then on, data is on its way to the sinks.
static gint media_started = 0;

// TRUE once every stream can give the sequence number and RTP time for a PLAY's RTP-Info.
static gboolean every_stream_has_rtp_info(GstRTSPMedia* media) {
  const guint streams = gst_rtsp_media_n_streams(media);
  for (guint i = 0; i < streams; ++i) {
    guint rtptime = 0;
    guint seq = 0;
    guint clock_rate = 0;
    if (!gst_rtsp_stream_get_rtpinfo(gst_rtsp_media_get_stream(media, i), &rtptime, &seq,
                                     &clock_rate, NULL)) {
      return FALSE;
    }
  }
  return TRUE;
}

// RTP-Info comes from the last packet each stream's udpsink sent, or else from the payloader's
// stats; a udpsrc has no stats. So in the few milliseconds between the first PLAY unblocking the
// shared media and the next packet of each track reaching its sink, every concurrent PLAY is
// answered 500 "failed to add RTP-Info". Hold those PLAYs (the media lock is held here, so they
// queue) until each sink has sent a packet, for at most kRtpInfoWaitMs. The first PLAY is let
// through at once: it is what starts the data.
enum { kRtpInfoWaitMs = 2000, kRtpInfoPollMs = 2 };

static GstRTSPStatusCode on_pre_play_request(GstRTSPClient* client, GstRTSPContext* context,
                                             gpointer user_data) {
  (void)client;
  (void)user_data;
  if (!g_atomic_int_get(&media_started) || context->media == NULL) return GST_RTSP_STS_OK;
  const gint64 deadline = g_get_monotonic_time() + (gint64)kRtpInfoWaitMs * 1000;
  while (!every_stream_has_rtp_info(context->media) && g_get_monotonic_time() < deadline) {
    g_usleep(kRtpInfoPollMs * 1000);
  }
  return GST_RTSP_STS_OK;
}

static void on_play_request(GstRTSPClient* client, GstRTSPContext* context, gpointer user_data) {
  (void)client;
  (void)context;
  (void)user_data;
  g_atomic_int_set(&media_started, 1);
}

static void on_client_connected(GstRTSPServer* server, GstRTSPClient* client, gpointer user_data) {
  (void)server;
  (void)user_data;
  g_signal_connect(client, "new-session", G_CALLBACK(on_new_session), NULL);
  g_signal_connect(client, "pre-play-request", G_CALLBACK(on_pre_play_request), NULL);
  g_signal_connect(client, "play-request", G_CALLBACK(on_play_request), NULL);
}

// gst-rtsp-server reads a "pt" property from each payN element when it prepares the media; a
// udpsrc has none (the payload type comes from its caps), and GLib warns about it each time.
// Only that warning is dropped; every other message goes to the default handler.
static void filter_gobject_warnings(const gchar* domain, GLogLevelFlags level, const gchar* message,
                                    gpointer user_data) {
  (void)user_data;
  if (strstr(message, "has no property named 'pt'") != NULL) return;
  g_log_default_handler(domain, level, message, NULL);
}

static gboolean on_stop_signal(gpointer loop) {
  g_main_loop_quit((GMainLoop*)loop);
  return G_SOURCE_CONTINUE;
}

int main(int argc, char** argv) {
  // The bench starts this program as a child: it must not outlive the bench when that dies.
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 1;

  gst_init(&argc, &argv);
  g_log_set_handler("GLib-GObject", G_LOG_LEVEL_WARNING, filter_gobject_warnings, NULL);
  PeerOptions options;
  if (!parse_options(argc, argv, &options)) return 1;

  gchar* launch = make_launch_line(&options);
  if (!check_launch_line(launch)) {
    g_free(launch);
    return 1;
  }

  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  GstRTSPServer* server = gst_rtsp_server_new();
  gchar* service = g_strdup_printf("%d", options.rtsp_port);
  gst_rtsp_server_set_address(server, options.address);
  gst_rtsp_server_set_service(server, service);
  // The default backlog and the single default client thread make connects time out and
  // DESCRIBEs queue behind one another when thousands of viewers arrive at once.
  gst_rtsp_server_set_backlog(server, options.backlog);
  GstRTSPThreadPool* threads = gst_rtsp_server_get_thread_pool(server);
  gst_rtsp_thread_pool_set_max_threads(threads, options.max_threads);
  g_object_unref(threads);
  g_signal_connect(server, "client-connected", G_CALLBACK(on_client_connected), NULL);

  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch);
  // One pipeline for every viewer: a packet is received once and sent to all destinations.
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  // A live relay never pauses its input for a viewer that leaves or pauses.
  gst_rtsp_media_factory_set_suspend_mode(factory, GST_RTSP_SUSPEND_MODE_NONE);
  gst_rtsp_media_factory_set_stop_on_disconnect(factory, FALSE);
  gst_rtsp_media_factory_set_eos_shutdown(factory, FALSE);
  gst_rtsp_media_factory_set_protocols(factory,
                                       GST_RTSP_LOWER_TRANS_UDP | GST_RTSP_LOWER_TRANS_TCP);
  if (options.rtx_time_ms > 0) {
    // AVPF in the SDP is what makes rtspsrc send NACKs. AVPF only: with AVP as well the SDP
    // repeats every m= line once per profile. (ffmpeg then SETs UP RTP/AVP and gets 461.)
    gst_rtsp_media_factory_set_profiles(factory, GST_RTSP_PROFILE_AVPF);
    gst_rtsp_media_factory_set_retransmission_time(factory,
                                                   (GstClockTime)options.rtx_time_ms * GST_MSECOND);
  }
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  gst_rtsp_mount_points_add_factory(mounts, "/clip", factory);  // takes the factory
  g_object_unref(mounts);

  // attach() binds and listens now; a busy port fails here and nowhere else.
  const guint source_id = gst_rtsp_server_attach(server, NULL);
  if (source_id == 0) {
    fprintf(stderr, "callcast-peer-gst: cannot listen on %s:%d (port busy?)\n", options.address,
            options.rtsp_port);
    g_object_unref(server);
    g_main_loop_unref(loop);
    g_free(service);
    g_free(launch);
    return 1;
  }
  g_unix_signal_add(SIGTERM, on_stop_signal, loop);
  g_unix_signal_add(SIGINT, on_stop_signal, loop);

  printf("ready rtsp://%s:%d/clip\n", options.address, options.rtsp_port);
  fflush(stdout);
  g_main_loop_run(loop);

  // Skip tearing down every viewer's session one by one: with thousands of them that takes
  // longer than the bench waits, and the process is about to go anyway.
  g_source_remove(source_id);
  g_main_loop_unref(loop);
  g_free(service);
  g_free(launch);
  return 0;
}
