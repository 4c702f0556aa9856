#include "executor.h"

#include "nvlist_js.h"

namespace zcp::zfs {

Napi::Object OutcomeToJs(Napi::Env env, Outcome& o) {
  Napi::Object r = Napi::Object::New(env);
  if (!o.unavailable.empty()) {
    r.Set("unavailable", o.unavailable);
    if (o.unavailable_errno) r.Set("unavailableErrno", o.unavailable_errno);
    return r;
  }
  r.Set("errno", o.err);
  if (!o.errors.empty()) {
    Napi::Array list = Napi::Array::New(env, o.errors.size());
    for (size_t i = 0; i < o.errors.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("name", o.errors[i].first);
      e.Set("errno", o.errors[i].second);
      list.Set(static_cast<uint32_t>(i), e);
    }
    r.Set("errors", list);
  }
  if (o.boolean) r.Set("value", *o.boolean);
  if (o.text) r.Set("value", *o.text);
  if (o.result && o.result->get() && o.lib) r.Set("result", lzc::NvToJs(env, *o.lib, o.result->get()));
  o.result.reset();  // free the nvlist now, not when the task is deleted
  return r;
}

Executor& Executor::For(Napi::Env env) {
  Executor* e = env.GetInstanceData<Executor>();
  if (!e) {
    e = new Executor(env);
    env.SetInstanceData(e);  // deleted when the environment goes away
  }
  return *e;
}

Executor::Executor(Napi::Env env) {
  tsfn_ = Tsfn::New(env, "zcp:lzc", 0, 1, this);
  tsfn_.Unref(env);  // an idle executor must not keep Node alive
  // Registered after the thread-safe function, so it runs before the
  // function's own clean-up: threads stop while it can still be released.
  env.AddCleanupHook(ShutdownHook, this);
}

Executor::~Executor() { Shutdown(); }

void Executor::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  for (auto& [name, lane] : lanes_)
    for (Task* t : lane.queue) delete t;
  lanes_.clear();
  tsfn_.Release();
}

Napi::Promise Executor::Submit(Napi::Env env, const std::string& lane_name, Job job) {
  auto* task = new Task(env, std::move(job));
  Napi::Promise promise = task->deferred.Promise();
  if (pending_++ == 0) tsfn_.Ref(env);  // keep Node alive until results are in
  {
    std::lock_guard<std::mutex> lock(mu_);
    Lane& lane = lanes_[lane_name];
    lane.queue.push_back(task);
    if (lane.idle == 0 && lane.threads < kThreadsPerLane) {
      lane.threads++;
      threads_.emplace_back(&Executor::Work, this, lane_name);
    }
  }
  cv_.notify_all();
  return promise;
}

void Executor::Work(std::string lane_name) {
  std::unique_lock<std::mutex> lock(mu_);
  Lane& lane = lanes_[lane_name];
  for (;;) {
    lane.idle++;
    cv_.wait(lock, [&] { return stopping_ || !lane.queue.empty(); });
    lane.idle--;
    if (stopping_) return;
    Task* task = lane.queue.front();
    lane.queue.pop_front();
    lock.unlock();
    // lzc_* only after libzfs_core_init() succeeded (Acquire).
    task->out.lib = lzc::Acquire(&task->out.unavailable, &task->out.unavailable_errno);
    if (task->out.lib) task->job(*task->out.lib, task->out);
    if (tsfn_.BlockingCall(task) != napi_ok) delete task;  // Node is shutting down
    lock.lock();
  }
}

void Executor::Complete(Napi::Env env, Napi::Function, Executor* self, Task* task) {
  std::unique_ptr<Task> owned(task);
  if (!env) return;  // the environment is going away
  owned->deferred.Resolve(OutcomeToJs(env, owned->out));
  if (--self->pending_ == 0) self->tsfn_.Unref(env);
}

}  // namespace zcp::zfs
