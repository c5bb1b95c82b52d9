#include "signaling_route.hpp"

#include <nlohmann/json.hpp>

#include "http/http_server.hpp"
#include "sip/network_side.hpp"

namespace callcast {

void add_signaling_route(http::HttpServer& server, sip::NetworkSide& network) {
  server.route("GET", "/v1/signaling",
               [&network](const http::Request&, const http::Responder& respond) {
                 network.stats([respond](sip::SignalingStats s) {
                   nlohmann::json body = {{"calls", s.calls},
                                          {"broadcasts", s.broadcasts},
                                          {"viewer_calls", s.viewer_calls},
                                          {"registrations", s.registrations},
                                          {"registered_users", s.registered_users},
                                          {"counters", sip::counters_json(s)}};
                   // Each broadcast; "restored" ones were rebuilt from the media side after
                   // a restart of this process (their masters' dialogs are unknown here).
                   body["restored_broadcasts"] = s.restored_broadcasts;
                   body["broadcast_list"] = nlohmann::json::array();
                   for (const auto& b : s.broadcast_list) {
                     body["broadcast_list"].push_back({{"group", b.group},
                                                       {"state", b.state},
                                                       {"restored", b.restored},
                                                       {"viewers", b.viewers}});
                   }
                   respond(http::Response::json(200, body.dump()));
                 });
               });
}

}  // namespace callcast
