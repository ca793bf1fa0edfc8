// smoke_throw.cc - lets the C smoke consumer throw a C++ exception from its
// consume callback, as a C++ consumer program would.
#include <stdexcept>
#include <string>

extern "C" void smoke_throw(const char *what)
{
    throw std::runtime_error(std::string("smoke_consumer: thrown for ") + (what ? what : ""));
}
