# Third-party libraries, all from Debian 12 packages (scripts/setup.sh installs them).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(tomlplusplus REQUIRED)   # target tomlplusplus::tomlplusplus
find_package(spdlog REQUIRED)         # target spdlog::spdlog
find_package(nlohmann_json REQUIRED)  # target nlohmann_json::nlohmann_json
find_package(CLI11 QUIET)             # Debian's libcli11-dev: header only
if(NOT TARGET CLI11::CLI11)
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(CLI11::CLI11 INTERFACE IMPORTED)
  set_target_properties(CLI11::CLI11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${CLI11_INCLUDE_DIR}")
endif()

# CAF 0.17: libcaf-dev ships neither a CMake config nor a pkg-config file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
# OpenSSL's libcrypto: SHA-256 for the token-derived CURVE key (core/curve.cpp). CAF's OpenSSL
# module and its network layer (libcaf_io) are not used: links between nodes are Lantern's own
# bridge over ZeroMQ with CURVE (cluster/bridge.hpp, docs/cluster.md).
find_package(OpenSSL REQUIRED)

if(LANTERN_BUILD_TESTS AND NOT LANTERN_FUZZ)
  find_package(GTest REQUIRED)
endif()

pkg_check_modules(VTERM REQUIRED IMPORTED_TARGET vterm)   # target PkgConfig::VTERM (NetHack's screen)
find_package(cppzmq REQUIRED)                             # target cppzmq (ZeroMQ services)
find_package(SQLite3 REQUIRED)                            # target SQLite::SQLite3 (label store)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # OpenAI-compatible HTTP client
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)        # linear-time matching for the rules backend
find_package(cereal REQUIRED)                             # target cereal::cereal (checkpoints, wire)
if(NOT LANTERN_FUZZ)
  find_package(Torch REQUIRED)                            # ${TORCH_LIBRARIES}; used by learners/ only
endif()
