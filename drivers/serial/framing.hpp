// Line settings a model needs on the wire, as plain data: the model tables of the board and
// supply drivers carry one of these, and the transport applies it when it opens the port.
#pragma once

namespace lockrig::drivers::serial {

enum class Parity { none, odd, even };

struct Framing {
  int baud = 9600;
  int data_bits = 8;
  Parity parity = Parity::none;
  int stop_bits = 1;
};

}  // namespace lockrig::drivers::serial
