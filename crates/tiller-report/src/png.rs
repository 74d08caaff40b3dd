//! PNG export of the SVG charts, for chat and e-mail, with `resvg`.
//!
//! Text is drawn with the system's fonts. `resvg` maps the generic `sans-serif` to
//! Arial, which most Linux systems lack (the text would silently vanish), so the
//! charts name DejaVu Sans first and the sans-serif family is set to the first of
//! DejaVu Sans, Liberation Sans or Noto Sans that is installed. Without any usable
//! font, export fails rather than produce charts without labels.

use resvg::{tiny_skia, usvg};

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error(
        "no usable font for chart labels (looked for DejaVu Sans, Liberation Sans, Noto Sans); install one, e.g. `apt-get install fonts-dejavu-core`"
    )]
    NoFonts,
    #[error("the chart is not valid SVG: {0}")]
    Svg(String),
    #[error("the chart is too large to draw ({0}×{1} pixels)")]
    Size(u32, u32),
    #[error("cannot encode the PNG: {0}")]
    Encode(String),
}

/// The fonts charts are drawn with: loaded once, reused for every chart.
pub struct Fonts {
    options: usvg::Options<'static>,
}

const FAMILIES: [&str; 3] = ["DejaVu Sans", "Liberation Sans", "Noto Sans"];

impl Fonts {
    /// The system's fonts.
    pub fn system() -> Result<Fonts, PngError> {
        let mut options = usvg::Options::default();
        let db = options.fontdb_mut();
        db.load_system_fonts();
        Self::finish(options)
    }

    /// Fonts from one directory (tests, or systems with fonts in an unusual place).
    pub fn from_dir(dir: &std::path::Path) -> Result<Fonts, PngError> {
        let mut options = usvg::Options::default();
        options.fontdb_mut().load_fonts_dir(dir);
        Self::finish(options)
    }

    fn finish(mut options: usvg::Options<'static>) -> Result<Fonts, PngError> {
        let db = options.fontdb_mut();
        let family = FAMILIES
            .iter()
            .find(|f| {
                db.faces()
                    .any(|face| face.families.iter().any(|(name, _)| name == *f))
            })
            .ok_or(PngError::NoFonts)?;
        db.set_sans_serif_family(*family);
        options.font_family = family.to_string();
        Ok(Fonts { options })
    }

    /// The family charts are drawn in.
    pub fn family(&self) -> &str {
        &self.options.font_family
    }
}

/// Draws an SVG document at `scale` (2 gives crisp text on high-density screens).
pub fn render(svg: &str, fonts: &Fonts, scale: f32) -> Result<Vec<u8>, PngError> {
    let tree =
        usvg::Tree::from_str(svg, &fonts.options).map_err(|e| PngError::Svg(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(PngError::Size(w, h))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| PngError::Encode(e.to_string()))
}
