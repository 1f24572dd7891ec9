//! QR codes, drawn by the service as SVG (no image from elsewhere: the page's policy allows
//! only its own origin).

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The QR code of `text` as an SVG element, `size` CSS pixels square at least; medium error
/// correction, so a poster creased or a little dirty still scans.
pub fn svg(text: &str, size: u32) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code
            .render::<svg::Color<'_>>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
        // Only a text far longer than an address fails; the poster prints the link anyway.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_becomes_an_svg_square() {
        let svg = super::svg(
            "https://aixin.example.gov.cn/apply/8c0e0b6c-6f1e-4f55-9a57-3f0d2b1c9d11",
            240,
        );
        assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("<path"));
        assert!(
            !svg.contains("style="),
            "no inline style: the page's policy refuses it"
        );
    }
}
