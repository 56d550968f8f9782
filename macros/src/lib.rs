//! `include_gmm!`: embed a gmmc model file into a crate at compile time.
//!
//! Use it through `gmmc-runtime` with feature `macros` (the expansion names the runtime's
//! types as `::gmmc_runtime::…`):
//!
//! ```ignore
//! gmmc_runtime::include_gmm!(pub static DETECTOR = "models/motor.json");
//! ```
//!
//! The macro reads the file (path relative to the using crate's `CARGO_MANIFEST_DIR`),
//! validates it with `gmmc-model`, and expands to the same tokens as `gmmc emit rust`: a
//! `::gmmc_runtime::Detector` constant whose type carries the model's dimensions, so the user
//! never writes them. It also expands to an `include_bytes!` of the file, so that editing the
//! model rebuilds the crate. Every failure is a `compile_error!` on the path literal that names
//! the file and the cause; the macro never panics.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use gmmc_model::Model;
use gmmc_model::device::DeviceModel;
use gmmc_model::rust::{self as emit, ItemKind};
use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Ident, LitStr, Token, Visibility};

/// Embeds a gmmc model file as a `gmmc_runtime::Detector`.
///
/// - Item form: `include_gmm!(pub static DETECTOR = "models/motor.json");` (or `const`,
///   any visibility, outer attributes allowed before the visibility).
/// - Expression form: `include_gmm!("models/motor.json")`, a constant expression.
///
/// The path is relative to `CARGO_MANIFEST_DIR`. A missing, malformed or invalid file is a
/// compile error naming the file and the cause.
#[proc_macro]
pub fn include_gmm(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let request = syn::parse_macro_input!(input as Request);
    expand(&request).into()
}

/// What the macro was asked for.
enum Request {
    /// `"path"`: an expression.
    Expression(LitStr),
    /// `#[attrs] VIS static|const NAME = "path";`
    Item {
        attrs: Vec<Attribute>,
        visibility: Visibility,
        kind: ItemKind,
        name: Ident,
        path: LitStr,
    },
}

impl Parse for Request {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(LitStr) {
            let path: LitStr = input.parse()?;
            if !input.is_empty() {
                return Err(input.error(
                    "include_gmm! takes one path literal, or an item such as \
                     `pub static DETECTOR = \"models/model.json\";`",
                ));
            }
            return Ok(Request::Expression(path));
        }
        let attrs = input.call(Attribute::parse_outer)?;
        let visibility: Visibility = input.parse()?;
        let kind = if input.peek(Token![static]) {
            input.parse::<Token![static]>()?;
            ItemKind::Static
        } else if input.peek(Token![const]) {
            input.parse::<Token![const]>()?;
            ItemKind::Const
        } else {
            return Err(input.error(
                "expected a path literal, or `static NAME = \"path\"` / `const NAME = \"path\"`",
            ));
        };
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let path: LitStr = input.parse()?;
        if input.peek(Token![;]) {
            input.parse::<Token![;]>()?;
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the model path"));
        }
        Ok(Request::Item {
            attrs,
            visibility,
            kind,
            name,
            path,
        })
    }
}

impl Request {
    fn path(&self) -> &LitStr {
        match self {
            Request::Expression(path) | Request::Item { path, .. } => path,
        }
    }
}

/// A failure, reported on the path literal: `compile_error!` as an item (with `;`) or as an
/// expression (without).
fn failure(span: Span, message: String, as_item: bool) -> TokenStream {
    if as_item {
        quote_spanned!(span => ::core::compile_error!(#message);)
    } else {
        quote_spanned!(span => ::core::compile_error!(#message))
    }
}

/// The model file, read and validated, and its absolute path (for `include_bytes!`).
fn load(path: &LitStr, as_item: bool) -> Result<(Model, String), TokenStream> {
    let span = path.span();
    let failure = |message: String| failure(span, message, as_item);
    let written = path.value();
    let base = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let resolved = base.join(&written);
    let bytes = std::fs::read(&resolved).map_err(|e| {
        failure(format!(
            "include_gmm!: cannot read model file `{written}` ({}): {e}",
            resolved.display()
        ))
    })?;
    let model = Model::from_slice(&bytes)
        .map_err(|e| failure(format!("include_gmm!: model file `{written}`: {e}")))?;
    let absolute = resolved.to_str().map(str::to_owned).ok_or_else(|| {
        failure(format!(
            "include_gmm!: the path of model file `{written}` ({}) is not valid UTF-8",
            resolved.display()
        ))
    })?;
    Ok((model, absolute))
}

fn expand(request: &Request) -> TokenStream {
    let path = request.path();
    let as_item = matches!(request, Request::Item { .. });
    let (model, absolute) = match load(path, as_item) {
        Ok(loaded) => loaded,
        Err(error) => return error,
    };
    // Makes the crate depend on the file, so that editing the model rebuilds it.
    let track = quote_spanned!(path.span() =>
        const _: &[u8] = ::core::include_bytes!(#absolute);
    );
    match request {
        Request::Expression(_) => {
            let value = emit::detector_value(&DeviceModel::<f32>::f32(&model));
            quote!({
                #track
                #value
            })
        }
        Request::Item {
            attrs,
            visibility,
            kind,
            name,
            ..
        } => {
            let item = emit::detector_item(
                &model,
                &emit::Item {
                    name: name.clone(),
                    visibility: quote!(#visibility),
                    kind: *kind,
                },
            );
            quote! {
                #(#attrs)*
                #item
                #track
            }
        }
    }
}
