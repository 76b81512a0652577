// actors/harden.hpp: CAF's defaults, made fit for actors that must outlive bad input. By
// default an event-based actor quits on any error message it receives (a peer's stray answer is
// enough) and an escaping exception becomes an exit reason without its message.
//
//   caf::behavior directory(caf::stateful_actor<state>* self) {
//     actors::harden(self, "directory", true);   // first thing in the actor
#pragma once

#include <exception>
#include <string>

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace lantern::actors {

/// An escaping exception as an exit reason that keeps its message (supervisors log it).
caf::error exit_reason_of(std::exception_ptr& e);

/// Stray error messages are logged as warnings under `name` instead of stopping the actor; an
/// escaping exception stops it with its message as the exit reason, also logged as an error when
/// `log_exceptions` (an actor nobody supervises).
template <class Actor>
void harden(Actor* self, std::string name, bool log_exceptions) {
  self->set_error_handler([self, name](caf::error& e) { spdlog::warn("{}: {}", name, self->system().render(e)); });
  self->set_exception_handler([name, log_exceptions](caf::scheduled_actor*, std::exception_ptr& e) {
    caf::error reason = exit_reason_of(e);
    if (log_exceptions) spdlog::error("{}: stopped: {}", name, to_string(reason));
    return reason;
  });
}

}  // namespace lantern::actors
