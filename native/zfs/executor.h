// Runs libzfs_core jobs on threads of zcp's own, a small group per pool
// ("lane"): a slow sync task on one pool never holds up calls on another,
// and never takes the libuv threads that fs and crypto work needs. Results
// come back to the main thread through one thread-safe function.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "lzc_library.h"
#include "nvlist.h"

namespace zcp::zfs {

// What a job hands back. The TypeScript layer turns a non-zero errno (with
// the per-name list) into a ZfsError, per operation.
struct Outcome {
  std::string unavailable;  // non-empty: ZFS can't be used here, and why
  int unavailable_errno = 0;  // libzfs_core_init's errno (EACCES: /dev/zfs not ours)
  int err = 0;
  std::vector<std::pair<std::string, int>> errors;  // lzc's errlist
  std::optional<bool> boolean;
  std::optional<std::string> text;
  std::unique_ptr<lzc::NvList> result;  // an nvlist lzc returned
  const lzc::Library* lib = nullptr;     // set once libzfs_core is usable
};

class Executor {
 public:
  using Job = std::function<void(const lzc::Library&, Outcome&)>;
  // Threads per lane: calls on one pool may overlap (the kernel batches them
  // into one txg) without one pool taking every thread.
  static constexpr int kThreadsPerLane = 4;

  // The executor of this Node environment (main thread, worker threads).
  static Executor& For(Napi::Env env);

  // Queues the job on the lane's threads; the promise resolves with the
  // outcome as an object. Main thread only.
  Napi::Promise Submit(Napi::Env env, const std::string& lane, Job job);

  ~Executor();

 private:
  struct Task {
    Task(Napi::Env env, Job j) : job(std::move(j)), deferred(Napi::Promise::Deferred::New(env)) {}
    Job job;
    Outcome out;
    Napi::Promise::Deferred deferred;
  };
  struct Lane {
    std::deque<Task*> queue;
    int threads = 0;
    int idle = 0;
  };
  static void Complete(Napi::Env env, Napi::Function, Executor* self, Task* task);
  using Tsfn = Napi::TypedThreadSafeFunction<Executor, Task, &Executor::Complete>;

  explicit Executor(Napi::Env env);
  void Work(std::string lane);
  void Shutdown();
  static void ShutdownHook(Executor* self) { self->Shutdown(); }

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Lane> lanes_;
  std::vector<std::thread> threads_;
  bool stopping_ = false;
  Tsfn tsfn_;
  size_t pending_ = 0;  // main thread only
};

// Converts an outcome to the object the TypeScript layer reads.
Napi::Object OutcomeToJs(Napi::Env env, Outcome& o);

}  // namespace zcp::zfs
