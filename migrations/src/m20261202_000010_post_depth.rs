use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Each post's depth in its thread's reply tree (0 for the opening post), kept at write time so
/// reading a post costs one row, not one query per ancestor.
#[derive(DeriveIden)]
enum Posts {
    Table,
    Depth,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .add_column(ColumnDef::new(Posts::Depth).integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        backfill(manager.get_connection()).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Posts::Table)
                    .drop_column(Posts::Depth)
                    .to_owned(),
            )
            .await
    }
}

/// Sets the depth of every existing reply: one read of (id, parent) pairs, then one update per
/// depth and chunk of ids. Linear in the number of posts on both databases, where a recursive
/// query joined back into an UPDATE is not on SQLite.
async fn backfill(db: &SchemaManagerConnection<'_>) -> Result<(), DbErr> {
    use std::collections::{BTreeMap, HashMap};
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT id, parent_id FROM posts WHERE parent_id IS NOT NULL",
        ))
        .await?;
    let mut parent_of = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: i32 = row.try_get_by_index(0)?;
        let parent: i32 = row.try_get_by_index(1)?;
        parent_of.insert(id, parent);
    }
    let mut depth_of: HashMap<i32, i32> = HashMap::with_capacity(parent_of.len());
    for &start in parent_of.keys() {
        // Climb until a post whose depth is known, or an opening post (depth 0).
        let mut chain = Vec::new();
        let mut current = start;
        let base = loop {
            if let Some(&known) = depth_of.get(&current) {
                break known;
            }
            match parent_of.get(&current) {
                None => break 0,
                Some(&parent) => {
                    chain.push(current);
                    current = parent;
                    if chain.len() > parent_of.len() {
                        return Err(DbErr::Custom(format!("post {start} is in a reply cycle")));
                    }
                }
            }
        };
        let mut depth = base;
        for &id in chain.iter().rev() {
            depth += 1;
            depth_of.insert(id, depth);
        }
    }
    let mut by_depth: BTreeMap<i32, Vec<i32>> = BTreeMap::new();
    for (id, depth) in depth_of {
        by_depth.entry(depth).or_default().push(id);
    }
    for (depth, ids) in by_depth {
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i32::to_string).collect();
            db.execute_unprepared(&format!(
                "UPDATE posts SET depth = {depth} WHERE id IN ({})",
                list.join(",")
            ))
            .await?;
        }
    }
    Ok(())
}
