//! What an uploaded file is, by its first bytes (never by its name or the
//! type the browser claims), against the allow-list: PDF, PNG, JPEG, GIF,
//! WebP, Word (.doc and .docx).

/// A kind the portal accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Doc,
    Docx,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Png => "png",
            Kind::Jpeg => "jpeg",
            Kind::Gif => "gif",
            Kind::Webp => "webp",
            Kind::Doc => "doc",
            Kind::Docx => "docx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Gif => "image/gif",
            Kind::Webp => "image/webp",
            Kind::Doc => "application/msword",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        }
    }

    /// The kind a file name's extension promises.
    fn of_extension(name: &str) -> Option<Kind> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "pdf" => Kind::Pdf,
            "png" => Kind::Png,
            "jpg" | "jpeg" => Kind::Jpeg,
            "gif" => Kind::Gif,
            "webp" => Kind::Webp,
            "doc" => Kind::Doc,
            "docx" => Kind::Docx,
            _ => return None,
        })
    }
}

/// What the bytes are.
fn sniff(bytes: &[u8]) -> Result<Kind, &'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"%PDF-") {
        Ok(Kind::Pdf)
    } else if starts(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok(Kind::Png)
    } else if starts(&[0xFF, 0xD8, 0xFF]) {
        Ok(Kind::Jpeg)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Ok(Kind::Gif)
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        Ok(Kind::Webp)
    } else if starts(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Ok(Kind::Doc)
    } else if starts(b"PK\x03\x04") {
        // A zip: Word's own, or any other archive.
        if bytes.windows(5).any(|w| w == b"word/") {
            Ok(Kind::Docx)
        } else {
            Err("is a zip archive, not a Word document")
        }
    } else if starts(b"MZ") {
        Err("is a Windows executable")
    } else if starts(b"\x7fELF") {
        Err("is an executable (ELF)")
    } else if starts(b"#!") {
        Err("is a script")
    } else {
        Err("is not a PDF, an image (PNG, JPEG, GIF, WebP) or a Word document")
    }
}

/// The file's kind, when its bytes are one the portal accepts and its name
/// says the same; otherwise why not, in words that follow "file ".
pub fn check(name: &str, bytes: &[u8]) -> Result<Kind, String> {
    if bytes.is_empty() {
        return Err("is empty".to_owned());
    }
    let promised = Kind::of_extension(name);
    match (sniff(bytes), promised) {
        (Err(what), Some(p)) => Err(format!("is named .{} but its content {what}", p.as_str())),
        (Err(what), None) => Err(format!("content {what}")),
        (Ok(kind), Some(p)) if p != kind => {
            Err(format!("is named .{} but its content is {}", p.as_str(), kind.as_str()))
        }
        (Ok(kind), _) => Ok(kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_allowed_kind_is_known_by_its_bytes() {
        assert_eq!(check("a.pdf", b"%PDF-1.7\n..."), Ok(Kind::Pdf));
        assert_eq!(check("a.PNG", b"\x89PNG\r\n\x1a\n...."), Ok(Kind::Png));
        assert_eq!(check("a.jpg", b"\xff\xd8\xff\xe0..."), Ok(Kind::Jpeg));
        assert_eq!(check("a.gif", b"GIF89a..."), Ok(Kind::Gif));
        assert_eq!(check("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 "), Ok(Kind::Webp));
        assert_eq!(check("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...."), Ok(Kind::Doc));
        assert_eq!(check("a.docx", b"PK\x03\x04....word/document.xml"), Ok(Kind::Docx));
    }

    #[test]
    fn a_pdf_name_on_an_executable_is_refused_saying_what_it_is() {
        let err = check("results.pdf", b"MZ\x90\x00\x03").unwrap_err();
        assert_eq!(err, "is named .pdf but its content is a Windows executable");
        assert!(check("x.pdf", b"\x7fELF....").unwrap_err().contains("ELF"));
        assert!(
            check("notes.docx", b"PK\x03\x04 other.zip")
                .unwrap_err()
                .contains("zip")
        );
        assert!(check("scan.png", b"%PDF-1.4").unwrap_err().contains("is pdf"));
        assert_eq!(check("empty.pdf", b"").unwrap_err(), "is empty");
    }
}
