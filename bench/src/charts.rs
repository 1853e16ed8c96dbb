//! Line charts as SVG, drawn by a bench from its own figures and committed beside
//! BENCHMARKS.md. A few plain elements: categories along x (the write rates), a log scale up y
//! (the figures span orders of magnitude), one line per series with each point labelled.
use std::fmt::Write as _;
use std::path::Path;

pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub dashed: bool,
    /// One value per category, or none where the series was not measured.
    pub values: Vec<Option<f64>>,
}

pub struct Chart {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    /// How a value is written beside its point.
    pub unit: &'static str,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 220.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;

impl Chart {
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.svg())?;
        println!("chart written: {}", path.display());
        Ok(())
    }

    pub fn svg(&self) -> String {
        let values: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .filter(|v| *v > 0.0)
            .collect();
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(0.0, f64::max);
        let (low, high) = if values.is_empty() {
            (1.0, 10.0)
        } else {
            (low, high)
        };
        let (from, to) = (
            low.log10().floor(),
            high.log10().ceil().max(low.log10().floor() + 1.0),
        );
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let y = |v: f64| TOP + plot_h * (1.0 - (v.log10() - from) / (to - from));
        let n = self.categories.len().max(1) as f64;
        let x = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / n;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="24" font-size="15" font-weight="bold">{}</text>"#,
            LEFT,
            escape(&self.title)
        );
        // Grid lines at 1, 2 and 5 of each decade.
        let mut decade = from;
        while decade < to + 0.5 {
            for step in [1.0, 2.0, 5.0] {
                let v = step * 10f64.powf(decade);
                if v.log10() > to + 1e-9 {
                    continue;
                }
                let at = y(v);
                let (stroke, width) = if step == 1.0 {
                    ("silver", 1.0)
                } else {
                    ("gainsboro", 0.8)
                };
                let _ = writeln!(
                    svg,
                    r#"<line x1="{LEFT}" y1="{at:.1}" x2="{:.1}" y2="{at:.1}" stroke="{stroke}" stroke-width="{width}"/>"#,
                    LEFT + plot_w
                );
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="end" fill="dimgray">{}</text>"#,
                    LEFT - 6.0,
                    at + 4.0,
                    number(v)
                );
            }
            decade += 1.0;
        }
        let _ = writeln!(
            svg,
            r#"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="black"/>"#,
            TOP + plot_h,
            LEFT + plot_w,
            TOP + plot_h
        );
        for (i, category) in self.categories.iter().enumerate() {
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x(i),
                TOP + plot_h + 18.0,
                escape(category)
            );
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="dimgray">{}</text>"#,
            LEFT + plot_w / 2.0,
            HEIGHT - 16.0,
            escape(&self.x_label)
        );
        let _ = writeln!(
            svg,
            r#"<text transform="translate(18 {:.1}) rotate(-90)" text-anchor="middle" fill="dimgray">{}</text>"#,
            TOP + plot_h / 2.0,
            escape(&self.y_label)
        );
        for (k, series) in self.series.iter().enumerate() {
            let dash = if series.dashed {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            let points: Vec<(f64, f64, f64)> = series
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.filter(|v| *v > 0.0).map(|v| (x(i), y(v), v)))
                .collect();
            let line: Vec<String> = points
                .iter()
                .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"{dash}/>"#,
                line.join(" "),
                series.color
            );
            for (px, py, v) in &points {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{px:.1}" cy="{py:.1}" r="3.5" fill="{}"/><text x="{:.1}" y="{:.1}" fill="{}">{}{}</text>"#,
                    series.color,
                    px + 6.0,
                    // Every other series is labelled below its points, so that close lines
                    // keep their figures apart.
                    if k % 2 == 0 { py - 6.0 } else { py + 15.0 },
                    series.color,
                    number(*v),
                    self.unit
                );
            }
            let ly = TOP + 10.0 + 22.0 * k as f64;
            let lx = LEFT + plot_w + 16.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{}" stroke-width="2"{dash}/><text x="{:.1}" y="{:.1}">{}</text>"#,
                lx + 24.0,
                series.color,
                lx + 30.0,
                ly + 4.0,
                escape(&series.name)
            );
        }
        svg.push_str("</svg>\n");
        svg
    }
}

/// A figure as a reader would write it: 3 significant digits at most.
fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_every_measured_point_on_its_scale() {
        let chart = Chart {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            categories: vec!["0".into(), "20".into()],
            series: vec![Series {
                name: "a & b".into(),
                color: "#000",
                dashed: false,
                values: vec![Some(12.0), None],
            }],
            unit: "",
        };
        let svg = chart.svg();
        assert_eq!(svg.matches("<circle").count(), 1);
        assert!(svg.contains(">12.0<"));
        assert!(svg.contains("a &amp; b"));
        assert!(svg.ends_with("</svg>\n"));
    }
}
