//! Nodes sharing one database: work notices, Stop delivery and the leader's lock, tested with two
//! stores on one fresh PostgreSQL database as two nodes would open it.

use std::sync::Arc;
use std::time::Duration;

use sobatch_store::{JoinParams, Membership, Signal, Store};
use tokio::time::timeout;

use crate::backend;

const RETRY: Duration = Duration::from_millis(100);
/// Generous: notifications cross a real server, on a shared machine.
const WITHIN: Duration = Duration::from_secs(5);

fn params(node_id: &str) -> JoinParams {
    JoinParams {
        node_id: node_id.into(),
        retry: RETRY,
    }
}

/// The next signal other than `Resync`, which a fresh connection sends first.
async fn next_signal(membership: &mut Membership) -> Signal {
    loop {
        let signal = timeout(WITHIN, membership.signals.recv())
            .await
            .expect("a signal in time")
            .expect("the membership is open");
        if signal != Signal::Resync {
            return signal;
        }
    }
}

/// Waits until `membership` has connected (its first signal is `Resync`).
async fn connected(membership: &mut Membership) {
    let first = timeout(WITHIN, membership.signals.recv()).await.unwrap();
    assert_eq!(first, Some(Signal::Resync));
}

/// Two stores on the fixture's database, joined as `node-a` and `node-b` and both listening.
async fn two_connected_nodes(
    fixture: &backend::Fixture,
) -> (Arc<dyn Store>, Arc<dyn Store>, Membership, Membership) {
    let (one, two) = (fixture.store(), fixture.another_node().await.unwrap());
    let mut a = one.cluster_join(params("node-a")).unwrap();
    let mut b = two.cluster_join(params("node-b")).unwrap();
    connected(&mut a).await;
    connected(&mut b).await;
    (one, two, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_only_one_node_uses_has_no_cluster() {
    let fixture = backend::sqlite().await.unwrap();
    assert!(fixture.store().cluster_join(params("a")).is_none());
    assert!(fixture.another_node().await.is_none());
    // Announcing work to nobody is harmless.
    fixture.store().work_announce();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_hear_each_others_work_notices_but_not_their_own() {
    let Some(fixture) = backend::postgres().await else {
        return;
    };
    let (one, two, mut a, mut b) = two_connected_nodes(&fixture).await;

    one.work_announce();
    assert_eq!(next_signal(&mut b).await, Signal::Work);
    two.work_announce();
    // `a` hears b's notice and nothing of its own before it.
    assert_eq!(next_signal(&mut a).await, Signal::Work);
    assert!(
        timeout(Duration::from_millis(300), a.signals.recv())
            .await
            .is_err(),
        "a node must not hear its own notice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_of_a_running_task_reaches_every_node_naming_the_holder() {
    let Some(fixture) = backend::postgres().await else {
        return;
    };
    let (one, two, mut a, mut b) = two_connected_nodes(&fixture).await;

    // `started` claims under the lease owner "node-a".
    let (id, _lease) = crate::started(one.as_ref(), "Stoppable").await;
    two.task_stop(id, "stopped", crate::at(10)).await.unwrap();
    let expected = Signal::Stop {
        task: id,
        lease_owner: "node-a".into(),
    };
    assert_eq!(next_signal(&mut a).await, expected);
    assert_eq!(next_signal(&mut b).await, expected);

    // A task that has not started fails at once: nobody needs telling, so b's next signal is
    // the Stop of the second running task.
    let waiting = crate::insert(one.as_ref(), "Waiting", 1).await;
    two.task_stop(waiting, "stopped", crate::at(10))
        .await
        .unwrap();
    let (id2, _) = crate::started(one.as_ref(), "Second").await;
    one.task_stop(id2, "stopped", crate::at(11)).await.unwrap();
    assert_eq!(
        next_signal(&mut b).await,
        Signal::Stop {
            task: id2,
            lease_owner: "node-a".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_leads_and_another_takes_over_when_it_leaves() {
    let Some(fixture) = backend::postgres().await else {
        return;
    };
    let (one, two) = (fixture.store(), fixture.another_node().await.unwrap());
    let mut a = one.cluster_join(params("node-a")).unwrap();
    timeout(WITHIN, a.leader.wait_for(|leading| *leading))
        .await
        .expect("the only node leads")
        .unwrap();
    let mut b = two.cluster_join(params("node-b")).unwrap();
    connected(&mut b).await;
    // Several of b's attempts go by without success while a holds the lock.
    tokio::time::sleep(RETRY * 5).await;
    assert!(!*b.leader.borrow(), "two leaders at once");
    assert!(*a.leader.borrow());

    drop(a);
    timeout(WITHIN, b.leader.wait_for(|leading| *leading))
        .await
        .expect("b takes the lead once a has left")
        .unwrap();
}
