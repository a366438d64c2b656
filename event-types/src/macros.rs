//! Declarative macros that keep the catalogue uniform: every string enum is lossless, every
//! model keeps unknown fields, every event carries the metadata `docs/events.md` is built from.

/// A string enum whose unknown values survive a round trip as `Other(String)`.
///
/// The wire format is the lower-case text given for each variant. A value this version
/// does not know decodes into `Other` and encodes back to the same text, so a newer
/// service's status never makes an older dashboard fail to decode an event.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
        default = $default:ident;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know, kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every known wire value, in declaration order.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];

            /// The wire text of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )+
                    Self::Other(other) => other,
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::$default
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $( $text => Self::$variant, )+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from(text.as_ref()))
            }
        }
    };
}

/// A nested object of an event's `data`: required fields, optional fields (`Option<T>`,
/// omitted when `None`) and `extra`, which keeps every field this version does not know.
macro_rules! model {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            required { $( $field:ident : $ty:ty = $doc:literal, )* }
            optional { $( $ofield:ident : $oty:ty = $odoc:literal, )* }
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
            $(
                #[doc = $odoc]
                #[doc = ""]
                #[doc = "Optional: omitted from the JSON when `None`."]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $ofield: Option<$oty>,
            )*
            /// Fields this version does not know, kept verbatim so a round trip loses nothing.
            #[serde(flatten)]
            pub extra: serde_json::Map<String, serde_json::Value>,
        }

        impl $name {
            /// The JSON fields of this object, for generated documentation.
            pub const FIELDS: &'static [$crate::event::FieldInfo] = &[
                $( $crate::event::FieldInfo { name: stringify!($field), ty: stringify!($ty), doc: $doc, required: true }, )*
                $( $crate::event::FieldInfo { name: stringify!($ofield), ty: stringify!($oty), doc: $odoc, required: false }, )*
            ];
        }
    };
}

/// One catalogue event: its `data` struct, its [`Event`](crate::Event) impl and its
/// [`EventInfo`](crate::event::EventInfo).
macro_rules! event {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            event_type: $event_type:literal,
            category: $category:ident,
            priority: $priority:ident,
            $( priority_rule: $pnote:literal => |$pe:ident| $pexpr:expr, )?
            subject: $subject:literal => |$se:ident| $sexpr:expr,
            final: $final:literal,
            required { $( $field:ident : $ty:ty = $doc:literal, )* }
            optional { $( $ofield:ident : $oty:ty = $odoc:literal, )* }
        }
    ) => {
        $(#[$meta])*
        #[doc = ""]
        #[doc = concat!("`event_type` `", $event_type, "`, category `", stringify!($category),
            "`, default priority `", stringify!($priority), "`, subject `", $subject, "`.")]
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $( #[doc = $doc] pub $field: $ty, )*
            $(
                #[doc = $odoc]
                #[doc = ""]
                #[doc = "Optional: omitted from the JSON when `None`."]
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $ofield: Option<$oty>,
            )*
        }

        impl $name {
            /// Catalogue metadata of this event type.
            pub const INFO: $crate::event::EventInfo = $crate::event::EventInfo {
                event_type: $event_type,
                rust_type: stringify!($name),
                category: $crate::EventCategory::$category,
                priority: $crate::Priority::$priority,
                priority_rule: event!(@note $($pnote)?),
                subject: $subject,
                is_final: $final,
                fields: &[
                    $( $crate::event::FieldInfo { name: stringify!($field), ty: stringify!($ty), doc: $doc, required: true }, )*
                    $( $crate::event::FieldInfo { name: stringify!($ofield), ty: stringify!($oty), doc: $odoc, required: false }, )*
                ],
            };
        }

        impl $crate::Event for $name {
            const EVENT_TYPE: &'static str = $event_type;
            const CATEGORY: $crate::EventCategory = $crate::EventCategory::$category;
            const PRIORITY: $crate::Priority = $crate::Priority::$priority;
            const FINAL: bool = $final;

            fn subject(&self) -> String {
                let $se = self;
                $sexpr
            }

            $(
                fn priority(&self) -> $crate::Priority {
                    let $pe = self;
                    $pexpr
                }
            )?
        }
    };
    (@note) => { None };
    (@note $note:literal) => { Some($note) };
}
