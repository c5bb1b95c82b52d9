/* Prints the offer GStreamer 1.22's webrtcbin makes as a WHIP publisher would (whipsink:
 * bundle-policy max-bundle, sendonly transceivers), once ICE gathering is complete; with the
 * path of webrtc_answer_for_offer as argument, also applies the answer it writes
 * (set-remote-description) and exits non-zero unless webrtcbin takes it, signalling becomes
 * stable and both transceivers are sendonly. See README.md. Built without the plugins-bad dev
 * headers (not installed here): the webrtc types are reached through their GType names, their
 * public layout (GstWebRTCSessionDescription {type, sdp}) and a prototype of
 * gst_webrtc_session_description_new:
 *
 *   gcc -o gst_whip_offer gst_whip_offer.c $(pkg-config --cflags --libs gstreamer-1.0 \
 *       gstreamer-sdp-1.0) /usr/lib/x86_64-linux-gnu/libgstwebrtc-1.0.so.0
 *   ./gst_whip_offer build/dev/tests/unit/webrtc/webrtc_answer_for_offer > offer.sdp
 *
 * Needs gstreamer1.0-nice (webrtcbin's ICE), plugins-good/-bad/-ugly (x264enc), opus. */
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <stdio.h>

typedef struct { int type; GstSDPMessage *sdp; } SessionDescription;
SessionDescription *gst_webrtc_session_description_new(int type, GstSDPMessage *sdp);
static GstElement *webrtc;
static GMainLoop *loop;
static const char *answer_tool; /* argv[1]: answers the offer on stdin (webrtc_answer_for_offer whip) */
static int exit_code = 0;

static void on_remote_set(GstPromise *promise, gpointer data) {
  const GstStructure *reply = gst_promise_get_reply(promise);
  GError *error = NULL;
  if (reply && gst_structure_get(reply, "error", G_TYPE_ERROR, &error, NULL)) {
    fprintf(stderr, "set-remote-description refused the answer: %s\n", error->message);
    exit_code = 1;
  } else {
    int signaling = -1;
    g_object_get(webrtc, "signaling-state", &signaling, NULL);
    fprintf(stderr, "set-remote-description took the answer, signaling-state %d (0 = stable)\n",
            signaling);
    for (int i = 0;; ++i) {
      GObject *transceiver = NULL;
      g_signal_emit_by_name(webrtc, "get-transceiver", i, &transceiver);
      if (!transceiver) break;
      int current = -1;
      g_object_get(transceiver, "current-direction", &current, NULL);
      fprintf(stderr, "transceiver %d current-direction %d (2 = sendonly)\n", i, current);
      if (current != 2) exit_code = 1;
      g_object_unref(transceiver);
    }
    if (signaling != 0) exit_code = 1;
  }
  gst_promise_unref(promise);
  g_main_loop_quit(loop);
}

static void apply_answer(const gchar *offer_text) {
  const gchar *argv[] = {answer_tool, "whip", NULL};
  gchar *answer_text = NULL;
  gint in = -1, out = -1;
  GPid pid;
  if (!g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &pid,
                                &in, &out, NULL, NULL)) {
    exit_code = 1;
    g_main_loop_quit(loop);
    return;
  }
  FILE *to = fdopen(in, "w");
  fputs(offer_text, to);
  fclose(to);
  GIOChannel *from = g_io_channel_unix_new(out);
  g_io_channel_read_to_end(from, &answer_text, NULL, NULL);
  g_io_channel_unref(from);
  fprintf(stderr, "--- answer ---\n%s", answer_text);
  GstSDPMessage *sdp = NULL;
  gst_sdp_message_new_from_text(answer_text, &sdp);
  SessionDescription *answer = gst_webrtc_session_description_new(3 /* GST_WEBRTC_SDP_TYPE_ANSWER */, sdp);
  g_signal_emit_by_name(webrtc, "set-remote-description", answer,
                        gst_promise_new_with_change_func(on_remote_set, NULL, NULL));
  g_free(answer_text);
}

static void print_when_gathered(void) {
  int state = 0;
  g_object_get(webrtc, "ice-gathering-state", &state, NULL);
  if (state != 2) return; /* GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE */
  SessionDescription *local = NULL;
  g_object_get(webrtc, "local-description", &local, NULL);
  gchar *text = gst_sdp_message_as_text(local->sdp);
  fputs(text, stdout);
  fflush(stdout);
  if (answer_tool) {
    apply_answer(text);
  } else {
    g_main_loop_quit(loop);
  }
  g_free(text);
}

static void on_gathering(GObject *o, GParamSpec *p, gpointer d) { print_when_gathered(); }

static void on_offer(GstPromise *promise, gpointer data) {
  const GstStructure *reply = gst_promise_get_reply(promise);
  SessionDescription *offer = NULL;
  gst_structure_get(reply, "offer", g_type_from_name("GstWebRTCSessionDescription"), &offer, NULL);
  g_signal_emit_by_name(webrtc, "set-local-description", offer, NULL);
  gst_promise_unref(promise);
  print_when_gathered();
}

static void on_negotiation_needed(GstElement *e, gpointer d) {
  for (int i = 0;; ++i) {
    GObject *transceiver = NULL;
    g_signal_emit_by_name(webrtc, "get-transceiver", i, &transceiver);
    if (!transceiver) break;
    g_object_set(transceiver, "direction", 2 /* SENDONLY */, NULL);
    g_object_unref(transceiver);
  }
  g_signal_emit_by_name(webrtc, "create-offer", NULL,
                        gst_promise_new_with_change_func(on_offer, NULL, NULL));
}

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  answer_tool = argc > 1 ? argv[1] : NULL;
  loop = g_main_loop_new(NULL, FALSE);
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch(
      "webrtcbin name=w bundle-policy=max-bundle "
      "videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 "
      "! x264enc tune=zerolatency speed-preset=ultrafast ! video/x-h264,profile=constrained-baseline "
      "! rtph264pay config-interval=-1 ! application/x-rtp,media=video,encoding-name=H264,payload=96 ! w. "
      "audiotestsrc is-live=true ! opusenc ! rtpopuspay "
      "! application/x-rtp,media=audio,encoding-name=OPUS,payload=97 ! w.",
      &error);
  if (!pipeline) { fprintf(stderr, "%s\n", error->message); return 1; }
  webrtc = gst_bin_get_by_name(GST_BIN(pipeline), "w");
  g_signal_connect(webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), NULL);
  g_signal_connect(webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering), NULL);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_main_loop_run(loop);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return exit_code;
}
