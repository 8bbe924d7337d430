//! Orders a thread's posts as a tree: depth-first, siblings oldest first, each with its depth.

/// The minimum the ordering needs of a post.
pub trait TreeNode {
    fn id(&self) -> i32;
    fn parent_id(&self) -> Option<i32>;
}

/// Returns `(index into posts, depth)` in reading order. Posts whose parent is missing
/// (never expected) are treated as roots so nothing is lost. Iterative: any depth is fine.
pub fn reading_order<T: TreeNode>(posts: &[T]) -> Vec<(usize, usize)> {
    use std::collections::HashMap;
    let index_of: HashMap<i32, usize> =
        posts.iter().enumerate().map(|(i, p)| (p.id(), i)).collect();
    let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, p) in posts.iter().enumerate() {
        match p.parent_id().filter(|parent| index_of.contains_key(parent)) {
            Some(parent) => children.entry(parent).or_default().push(i),
            None => roots.push(i),
        }
    }
    let by_id = |v: &mut Vec<usize>| v.sort_by_key(|&i| posts[i].id());
    by_id(&mut roots);
    children.values_mut().for_each(by_id);

    let mut out = Vec::with_capacity(posts.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|i| (i, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        out.push((i, depth));
        if let Some(kids) = children.get(&posts[i].id()) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    struct P(i32, Option<i32>);
    impl TreeNode for P {
        fn id(&self) -> i32 {
            self.0
        }
        fn parent_id(&self) -> Option<i32> {
            self.1
        }
    }

    #[test]
    fn depth_first_with_depths() {
        let posts = vec![
            P(1, None),
            P(2, Some(1)),
            P(3, Some(1)),
            P(4, Some(2)),
            P(5, Some(4)),
        ];
        let order: Vec<(i32, usize)> = reading_order(&posts)
            .into_iter()
            .map(|(i, d)| (posts[i].0, d))
            .collect();
        assert_eq!(order, vec![(1, 0), (2, 1), (4, 2), (5, 3), (3, 1)]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let posts: Vec<P> = (1..=100_000)
            .map(|i| P(i, if i == 1 { None } else { Some(i - 1) }))
            .collect();
        let order = reading_order(&posts);
        assert_eq!(order.last().unwrap().1, 99_999);
    }

    proptest! {
        #[test]
        fn every_post_once_and_parents_first(parents in proptest::collection::vec(0usize..50, 1..50)) {
            let posts: Vec<P> = parents.iter().enumerate().map(|(i, &p)| {
                let id = i as i32 + 1;
                P(id, if i == 0 { None } else { Some((p % i) as i32 + 1) })
            }).collect();
            let order = reading_order(&posts);
            prop_assert_eq!(order.len(), posts.len());
            let mut seen = std::collections::HashMap::new();
            for (i, depth) in order {
                if let Some(parent) = posts[i].1 {
                    let parent_depth = seen.get(&parent).copied();
                    prop_assert_eq!(parent_depth.map(|d: usize| d + 1), Some(depth));
                }
                seen.insert(posts[i].0, depth);
            }
        }
    }
}
