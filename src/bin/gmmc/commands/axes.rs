//! `gmmc axes DATA --label-column NAME [--top N]`

use gmmc::axes::{self, Groups};
use gmmc::data::{self, LoadOptions, Selection};

use crate::failure::Failure;
use crate::labelled::{DEFAULT_ANOMALY_LABEL, quoted};

/// Rank the feature columns of labelled data by how well each one, alone, separates the
/// classes, and print a suggested --axes value for `gmmc train`.
///
/// With anomaly labels (some rows labelled with an --anomaly-label value), a column's
/// separation is |2·AUC − 1|, where AUC is the probability that a random anomalous row has a
/// higher value in that column than a random normal row (ties count one half): 0 means no
/// difference between the groups, 1 that every anomalous row lies beyond every normal row, and
/// the column's AUC says on which side. Without anomaly labels, every label is a class and the
/// separation is |2·AUC − 1| averaged over every pair of classes.
///
/// The statistic depends only on the order of the values, so units and scale do not matter and
/// a few extreme values cannot dominate. Rows where a column is NaN or infinite are left out
/// for that column. Columns are judged one at a time: two columns may both rank high and carry
/// the same information.
#[derive(clap::Args)]
pub struct Args {
    /// Labelled data: CSV with a header row, or `-` for CSV on stdin.
    data: String,
    /// The column that holds each row's label.
    #[arg(long, value_name = "NAME")]
    label_column: String,
    /// A label that marks an anomalous row; repeat for several.
    #[arg(long = "anomaly-label", value_name = "L", default_value = DEFAULT_ANOMALY_LABEL)]
    anomaly_labels: Vec<String>,
    /// How many columns to suggest.
    #[arg(long, value_name = "N", default_value_t = 4)]
    top: usize,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> Result<(), Failure> {
    if args.top == 0 {
        return Err(Failure::new("--top must be at least 1"));
    }
    let table = data::load(
        &args.data,
        &LoadOptions {
            label_column: Some(args.label_column.clone()),
            selection: Selection::All,
        },
    )?;
    let labels = table
        .labels
        .clone()
        .ok_or_else(|| Failure::new(format!("{}: no label column was read", table.source)))?;
    let ranking = axes::rank(&table.values, &table.columns, &labels, &args.anomaly_labels)
        .map_err(|e| Failure::new(format!("{}: {e}", table.source)))?;
    let top = args.top.min(ranking.columns.len());
    let suggested = ranking.suggested_axes(top);
    if args.json {
        let value = serde_json::json!({
            "data": table.source,
            "groups": ranking.groups,
            "columns": ranking.columns,
            "suggested_axes": suggested,
        });
        let text = serde_json::to_string_pretty(&value).map_err(|e| Failure::new(e.to_string()))?;
        println!("{text}");
        return Ok(());
    }
    match &ranking.groups {
        Groups::AnomalousVsNormal {
            n_anomalous,
            n_normal,
        } => {
            println!(
                "{} feature columns of {}, ranked by how well each one separates\nthe \
                 {n_anomalous} rows labelled {} from the {n_normal} others",
                ranking.columns.len(),
                table.source,
                quoted(&args.anomaly_labels)
            );
            println!("(separation = |2·AUC − 1|; AUC = P(anomalous row has the higher value))\n");
            println!("  rank  {:<24} separation     AUC  anomalies are", "column");
            for (i, c) in ranking.columns.iter().enumerate() {
                let side = match c.auc {
                    Some(a) if a > 0.5 => "higher",
                    Some(a) if a < 0.5 => "lower",
                    Some(_) => "no different",
                    None => "n/a",
                };
                let auc = c.auc.map_or_else(|| "n/a".into(), |a| format!("{a:.3}"));
                println!(
                    "  {:>4}  {:<24} {:>10.3}  {:>6}  {side}",
                    i + 1,
                    c.name,
                    c.separation,
                    auc
                );
            }
        }
        Groups::Classes { classes } => {
            let names: Vec<String> = classes.iter().map(|(c, n)| format!("{c} ({n})")).collect();
            println!(
                "{} feature columns of {}, ranked by how well each one separates\nthe classes {}",
                ranking.columns.len(),
                table.source,
                names.join(", ")
            );
            println!("(separation = |2·AUC − 1| averaged over every pair of classes)\n");
            println!("  rank  {:<24} separation", "column");
            for (i, c) in ranking.columns.iter().enumerate() {
                println!("  {:>4}  {:<24} {:>10.3}", i + 1, c.name, c.separation);
            }
        }
    }
    println!("\nsuggested: --axes {suggested}");
    Ok(())
}
