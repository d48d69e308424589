// The drivers glassbox has, one file each; driver.cpp's registry lists them by name.
#pragma once

#include <memory>

#include "engine/network/driver.h"

namespace engine::network {

std::unique_ptr<Driver> make_bridge_driver();
std::unique_ptr<Driver> make_host_driver();
std::unique_ptr<Driver> make_none_driver();
std::unique_ptr<Driver> make_macvlan_driver();
std::unique_ptr<Driver> make_ipvlan_driver();

} // namespace engine::network
