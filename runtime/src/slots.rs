//! [`Slots`]: the futures of the records a consumer-group member runs at once, in reusable pinned slots with a waker
//! each, so running a record allocates nothing and a wake-up polls only the records that were woken.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// What the slots' wakers share with the task that polls the slots.
#[derive(Default)]
struct Woken {
    /// Slots woken since the task last looked.
    slots: Mutex<Vec<usize>>,
    /// The task polling the slots.
    task: AtomicWaker,
}

/// The waker of one slot.
struct SlotWaker {
    index: usize,
    /// Whether the slot is in `Woken::slots` already.
    queued: AtomicBool,
    woken: Arc<Woken>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.woken
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(self.index);
        }
        self.woken.task.wake();
    }
}

/// One slot: a future's home while it runs, kept for the next one when it finishes.
struct Slot<F> {
    future: Pin<Box<Option<F>>>,
    waker: Arc<SlotWaker>,
    /// `waker` as a [`Waker`], made once.
    as_waker: Waker,
}

/// Futures running concurrently inside one task, like `FuturesUnordered`, but each finished future's slot (its
/// allocation and its waker) serves the next one. A waker that fires after its slot was reused polls the new
/// future once more than needed, which futures allow.
pub(crate) struct Slots<F> {
    slots: Vec<Slot<F>>,
    /// Slots without a future.
    free: Vec<usize>,
    /// Slots to poll on the next call: new futures, and woken ones moved here from `woken`.
    due: VecDeque<usize>,
    woken: Arc<Woken>,
    running: usize,
}

impl<F: Future> Slots<F> {
    pub(crate) fn new() -> Slots<F> {
        Slots {
            slots: Vec::new(),
            free: Vec::new(),
            due: VecDeque::new(),
            woken: Arc::default(),
            running: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.running == 0
    }

    /// The futures running.
    pub(crate) fn len(&self) -> usize {
        self.running
    }

    /// Adds `future`; it is first polled by the next [`Slots::poll_finished`].
    pub(crate) fn push(&mut self, future: F) {
        let index = match self.free.pop() {
            Some(i) => {
                self.slots[i].future.as_mut().set(Some(future));
                i
            }
            None => {
                let index = self.slots.len();
                let waker = Arc::new(SlotWaker {
                    index,
                    queued: AtomicBool::new(false),
                    woken: Arc::clone(&self.woken),
                });
                let as_waker = Waker::from(Arc::clone(&waker));
                self.slots.push(Slot {
                    future: Box::pin(Some(future)),
                    waker,
                    as_waker,
                });
                index
            }
        };
        self.running += 1;
        self.due.push_back(index);
    }

    /// Polls the new and woken futures; returns the outputs of those that finished (at most `max`; the rest stay
    /// due for the next call), or `Pending` when none did.
    pub(crate) fn poll_finished(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Vec<F::Output>> {
        self.woken.task.register(cx.waker());
        {
            let mut woken = self
                .woken
                .slots
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            self.due.extend(woken.drain(..));
        }
        let mut done = Vec::new();
        while done.len() < max {
            let Some(i) = self.due.pop_front() else {
                break;
            };
            let slot = &mut self.slots[i];
            // Cleared before polling: a wake during the poll queues the slot again.
            slot.waker.queued.store(false, Ordering::Release);
            let Some(future) = slot.future.as_mut().as_pin_mut() else {
                // Woken after its future finished.
                continue;
            };
            if let Poll::Ready(output) = future.poll(&mut Context::from_waker(&slot.as_waker)) {
                slot.future.as_mut().set(None);
                self.free.push(i);
                self.running -= 1;
                done.push(output);
            }
        }
        if !self.due.is_empty() {
            // Some are due still: come back soon, after the caller handled these.
            cx.waker().wake_by_ref();
        }
        if done.is_empty() {
            Poll::Pending
        } else {
            Poll::Ready(done)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;

    use super::*;

    #[tokio::test]
    async fn futures_finish_in_any_order_and_slots_are_reused() {
        let mut slots = Slots::new();
        let (tx1, rx1) = tokio::sync::oneshot::channel::<u32>();
        let (tx2, rx2) = tokio::sync::oneshot::channel::<u32>();
        slots.push(Box::pin(async move { rx1.await.unwrap() })
            as Pin<Box<dyn Future<Output = u32> + Send>>);
        slots.push(Box::pin(async move { rx2.await.unwrap() }));
        slots.push(Box::pin(async { 3 }));
        assert_eq!(slots.running, 3);

        let first = poll_fn(|cx| slots.poll_finished(cx, 16)).await;
        assert_eq!(first, [3], "the ready future finishes on its first poll");
        tx2.send(2).unwrap();
        assert_eq!(poll_fn(|cx| slots.poll_finished(cx, 16)).await, [2]);
        assert_eq!(slots.running, 1);

        // A new future takes a freed slot: no new slot is made.
        slots.push(Box::pin(async { 4 }));
        assert_eq!(slots.slots.len(), 3);
        assert_eq!(poll_fn(|cx| slots.poll_finished(cx, 16)).await, [4]);
        tx1.send(1).unwrap();
        assert_eq!(poll_fn(|cx| slots.poll_finished(cx, 16)).await, [1]);
        assert!(slots.is_empty());
    }

    #[tokio::test]
    async fn a_woken_future_is_polled_and_others_are_not() {
        use std::sync::atomic::AtomicUsize;
        let polls = Arc::new(AtomicUsize::new(0));
        let mut slots = Slots::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let counted = Arc::clone(&polls);
        let mut rx = Some(rx);
        slots.push(Box::pin(poll_fn(move |cx| {
            counted.fetch_add(1, Ordering::Relaxed);
            match Pin::new(rx.as_mut().unwrap()).poll(cx) {
                Poll::Ready(_) => Poll::Ready(0u32),
                Poll::Pending => Poll::Pending,
            }
        })) as Pin<Box<dyn Future<Output = u32> + Send>>);
        let (tx2, rx2) = tokio::sync::oneshot::channel::<u32>();
        slots.push(Box::pin(async move { rx2.await.unwrap() }));
        assert!(
            poll_fn(|cx| Poll::Ready(slots.poll_finished(cx, 16)))
                .await
                .is_pending()
        );
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        tx2.send(9).unwrap();
        assert_eq!(poll_fn(|cx| slots.poll_finished(cx, 16)).await, [9]);
        assert_eq!(
            polls.load(Ordering::Relaxed),
            1,
            "the future that was not woken was not polled again"
        );
        tx.send(()).unwrap();
        assert_eq!(poll_fn(|cx| slots.poll_finished(cx, 16)).await, [0]);
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn at_most_max_finish_per_call_and_the_rest_stay_due() {
        let mut slots = Slots::new();
        for i in 0..5u32 {
            slots.push(Box::pin(async move { i }) as Pin<Box<dyn Future<Output = u32> + Send>>);
        }
        let first = poll_fn(|cx| slots.poll_finished(cx, 2)).await;
        assert_eq!(first.len(), 2);
        let mut all = first;
        while !slots.is_empty() {
            all.extend(poll_fn(|cx| slots.poll_finished(cx, 2)).await);
        }
        all.sort_unstable();
        assert_eq!(all, [0, 1, 2, 3, 4]);
    }
}
