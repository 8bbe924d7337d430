//! The reply tree as the thread page draws it: nested lists, built from the posts in reading
//! order. Deep branches stop at `SHOWN_LEVELS` with a link that continues the branch on a
//! page of its own, so a phone never has to show more indentation than it can.
use super::render::{iso, when};
use super::views::Byline;
use crate::forum::threads::PostView;

/// Levels of replies shown below the post a page starts from.
pub const SHOWN_LEVELS: usize = 6;

pub struct PostItem {
    pub id: i32,
    pub byline: Option<Byline>,
    pub when: String,
    pub when_iso: String,
    pub edited: bool,
    pub body_html: String,
    pub deleted: bool,
    /// The viewer may edit and delete it.
    pub may_change: bool,
    /// Replies below it, shown or not.
    pub replies: usize,
    /// Its replies follow it, inside it.
    pub has_children: bool,
    /// Lists to close after it (it has no children shown).
    pub closes: usize,
    /// Its replies are too deep to show here: link to a page for its branch.
    pub continue_branch: bool,
}

/// What the viewer may do to posts, and who they are.
pub struct Rights {
    pub viewer_id: i32,
    pub moderate: bool,
    pub edit_own: bool,
}

fn item(p: &PostView, rights: &Rights, replies: usize) -> PostItem {
    let mine = p.author.as_ref().is_some_and(|a| a.id == rights.viewer_id);
    PostItem {
        id: p.id,
        byline: p.author.as_ref().map(Byline::from),
        when: when(p.created_at),
        when_iso: iso(p.created_at),
        edited: p.edited_at.is_some(),
        body_html: p.body_html.clone(),
        deleted: p.deleted,
        may_change: !p.deleted && (rights.moderate || (mine && rights.edit_own)),
        replies,
        has_children: false,
        closes: 0,
        continue_branch: false,
    }
}

/// For each post in reading order, how many posts below it belong to its branch.
fn branch_sizes(posts: &[PostView]) -> Vec<usize> {
    let mut sizes = vec![0; posts.len()];
    let mut open: Vec<usize> = Vec::new();
    for (i, p) in posts.iter().enumerate() {
        while let Some(&top) = open.last() {
            if posts[top].depth >= p.depth {
                sizes[top] = i - top - 1;
                open.pop();
            } else {
                break;
            }
        }
        open.push(i);
    }
    for top in open {
        sizes[top] = posts.len() - top - 1;
    }
    sizes
}

/// The post a page starts from and the replies below it, drawn as a tree. `posts` is the
/// thread in reading order; `root` the index of the starting post (0: the opening post).
pub fn build(posts: &[PostView], root: usize, rights: &Rights) -> (PostItem, Vec<PostItem>) {
    let base = posts[root].depth;
    let end = posts[root + 1..]
        .iter()
        .position(|p| p.depth <= base)
        .map_or(posts.len(), |i| root + 1 + i);
    let branch = &posts[root..end];
    let sizes = branch_sizes(branch);
    let head = item(&branch[0], rights, sizes[0]);
    let level = |p: &PostView| p.depth - base;
    let shown: Vec<usize> = (1..branch.len())
        .filter(|&i| level(&branch[i]) <= SHOWN_LEVELS)
        .collect();
    let mut items = Vec::with_capacity(shown.len());
    for (k, &i) in shown.iter().enumerate() {
        let mut it = item(&branch[i], rights, sizes[i]);
        let here = level(&branch[i]);
        let next = shown.get(k + 1).map(|&j| level(&branch[j]));
        it.has_children = next.is_some_and(|n| n > here);
        if !it.has_children {
            it.closes = here - next.unwrap_or(1).min(here);
        }
        it.continue_branch = here == SHOWN_LEVELS && sizes[i] > 0;
        items.push(it);
    }
    (head, items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn post(id: i32, depth: usize) -> PostView {
        PostView {
            id,
            thread_id: 1,
            parent_id: None,
            depth,
            author: None,
            body_html: String::new(),
            body_markdown: None,
            deleted: false,
            created_at: Utc::now(),
            edited_at: None,
        }
    }

    const RIGHTS: Rights = Rights {
        viewer_id: 1,
        moderate: false,
        edit_own: true,
    };

    /// The lists opened and closed balance, whatever the shape.
    fn balanced(items: &[PostItem]) -> bool {
        let mut open = 1i64;
        for it in items {
            if it.has_children {
                open += 1;
            } else {
                open -= it.closes as i64;
            }
            if open < 1 {
                return false;
            }
        }
        open == 1
    }

    #[test]
    fn nested_lists_open_and_close_in_balance() {
        let shapes: Vec<Vec<usize>> = vec![
            vec![0],
            vec![0, 1, 1, 1],
            vec![0, 1, 2, 3, 1, 2, 2],
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8, 2, 1],
        ];
        for depths in shapes {
            let posts: Vec<PostView> = depths
                .iter()
                .enumerate()
                .map(|(i, &d)| post(i as i32 + 1, d))
                .collect();
            let (head, items) = build(&posts, 0, &RIGHTS);
            assert_eq!(head.replies, posts.len() - 1);
            assert!(balanced(&items), "{depths:?}");
        }
    }

    #[test]
    fn deep_branches_stop_with_a_link_to_continue() {
        let depths = [0, 1, 2, 3, 4, 5, 6, 7, 8, 1];
        let posts: Vec<PostView> = depths
            .iter()
            .enumerate()
            .map(|(i, &d)| post(i as i32 + 1, d))
            .collect();
        let (_, items) = build(&posts, 0, &RIGHTS);
        assert_eq!(
            items.len(),
            7,
            "levels 7 and 8 are left for the branch page"
        );
        let deepest = items.iter().find(|i| i.id == 7).unwrap();
        assert!(deepest.continue_branch && !deepest.has_children);
        assert!(balanced(&items));
        let (head, below) = build(&posts, 6, &RIGHTS);
        assert_eq!(head.id, 7);
        assert_eq!(below.iter().map(|i| i.id).collect::<Vec<_>>(), vec![8, 9]);
    }
}
