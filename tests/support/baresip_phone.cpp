#include "support/baresip_phone.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace callcast::test {

std::uint16_t free_loopback_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

ChildOptions baresip_phone(const BaresipPhone& phone) {
  std::filesystem::create_directories(phone.dir);
  std::ofstream config(phone.dir / "config");
  // In a lab host's namespace any port is free; on the loopback one the OS just gave.
  const std::uint16_t port = phone.listen_address == "127.0.0.1" ? free_loopback_udp_port() : 5062;
  config << "sip_listen " << phone.listen_address << ":" << port << "\n"
         << "module_path /usr/lib/baresip/modules\n"
            "module g711.so\nmodule opus.so\nmodule avcodec.so\nmodule avformat.so\n"
            "module fakevideo.so\nmodule aubridge.so\nmodule ausine.so\nmodule account.so\n"
            "module_app menu.so\n"
            // No sound card: what it decodes plays into a bridge.
            "audio_player aubridge,nil\nvideo_display fakevideo,nil\n"
         << "rtcp_mux " << (phone.rtcp_mux ? "yes" : "no") << "\n";
  if (!phone.camera_file.empty()) {
    // ausine's tone is 48 kHz: Opus (which baresip offers) takes it as it is.
    config << "video_source avformat," << phone.camera_file.string() << "\n"
           << "video_size 640x360\nvideo_fps 25\nvideo_bitrate 800000\n"
              "audio_source ausine,440\n";
  } else {
    config << "video_source fakevideo,nil\naudio_source aubridge,nil\n";
  }
  std::ofstream(phone.dir / "accounts")
      << "<sip:" << phone.number << "@" << phone.domain
      << ";transport=udp>;auth_pass=" << phone.password << ";regint=0\n";
  std::ofstream(phone.dir / "contacts");
  ChildOptions options;
  options.argv = {"baresip",
                  "-f",
                  phone.dir.string(),
                  "-t",
                  std::to_string(phone.quit_after_s),
                  "-e",
                  "/dial sip:" + phone.dial + "@" + phone.domain};
  options.stdout_file = phone.dir / "stdout.log";
  options.stderr_file = phone.dir / "stderr.log";
  return options;
}

bool make_camera_file(const std::filesystem::path& file, int seconds) {
  const std::string command =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "testsrc2=size=640x360:rate=25 -t " +
      std::to_string(seconds) + " -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p '" +
      file.string() + "'";
  return std::system(command.c_str()) == 0 && std::filesystem::exists(file);
}

std::string baresip_missing() {
  if (std::system("command -v baresip >/dev/null 2>&1") != 0) return "baresip";
  if (!std::filesystem::exists("/usr/lib/baresip/modules/avcodec.so")) return "baresip-ffmpeg";
  return {};
}

}  // namespace callcast::test
