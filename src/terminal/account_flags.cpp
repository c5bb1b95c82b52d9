#include "terminal/account_flags.hpp"

#include "terminal/local_address.hpp"
#include "terminal/terminal_args.hpp"

namespace callcast::terminal {

Result<PhoneOptions, std::string> AccountFlags::phone_options(const char* password_env) const {
  auto server_address = parse_server(server);
  if (!server_address) return fail(server_address.error());
  PhoneOptions phone;
  phone.server = server_address->host_port();
  phone.transport = transport == "tcp" ? sipua::Transport::tcp : sipua::Transport::udp;
  phone.number = number;
  phone.password = password;
  if (phone.password.empty() && password_env != nullptr) phone.password = password_env;
  if (phone.password.empty()) return fail("no password: give --password or set CALLCAST_PASSWORD");
  if (!bind.empty()) {
    auto address = parse_bind(bind);
    if (!address) return fail(address.error());
    auto bindable = check_bindable(address->host, address->port, transport);
    if (!bindable) return fail("--bind " + bind + ": " + bindable.error());
    phone.bind_host = address->host;
    phone.bind_port = address->port;
  } else {
    // The address other hosts reach us at: the one the route to the server leaves from
    // (loopback only when the server is on this machine).
    auto local = local_address_toward(server_address->host, server_address->port);
    if (!local) return fail("the SIP server " + phone.server + ": " + local.error());
    phone.bind_host = *local;
  }
  return phone;
}

}  // namespace callcast::terminal
