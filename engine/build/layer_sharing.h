// Layer sharing, as `system df -v` shows it: identical layers (same diff id) are stored once, so
// each image's size splits into the part it shares with other images and the part only it uses,
// and each layer lists the images that contain it. Pure computation over image records; the
// API and CLI format it. Kernel interfaces: none. Lesson: lessons/03-layer-sharing/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/image/store.h"

namespace engine::build {

struct LayerUsage {
    std::string diff_id;
    std::uint64_t size { 0 };
    std::vector<std::string> image_ids; // Images containing the layer, in store order.
};

struct ImageUsage {
    std::string id;
    std::vector<std::string> repo_tags;
    std::uint64_t size { 0 };        // Sum of its layers.
    std::uint64_t shared_size { 0 }; // Layers other images also contain (Docker's SharedSize).
    std::uint64_t unique_size { 0 }; // size - shared_size.
    std::vector<std::string> layers; // Its diff ids, lowest first.
};

struct LayerSharingReport {
    std::vector<ImageUsage> images;
    std::vector<LayerUsage> layers;      // Every distinct layer, in first-seen order.
    std::uint64_t total_layer_bytes { 0 }; // Each distinct layer counted once.
    std::uint64_t naive_bytes { 0 };       // What a copy per image would take.
};

LayerSharingReport layer_sharing(const std::vector<image::ImageRecord>& images);
LayerSharingReport layer_sharing(const image::Store& store);

} // namespace engine::build
