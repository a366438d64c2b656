//! USER: notifications for one user.

string_enum! {
    /// How a notification is shown.
    pub enum NotificationLevel {
        /// Neutral information.
        Info = "info",
        /// Something finished well.
        Success = "success",
        /// Needs attention.
        Warning = "warning",
        /// Something failed.
        Error = "error",
    }
    default = Info;
}

model! {
    /// A notification shown to one user.
    pub struct Notification {
        required {
            title: String = "One-line summary.",
        }
        optional {
            message: String = "Details.",
            level: NotificationLevel = "How it is shown.",
            link: String = "Where clicking it leads.",
        }
    }
}

event! {
    /// A notification for one user; published on channel `user` under the user's id, which
    /// only that user may subscribe to by default.
    pub struct UserNotification {
        event_type: "user_notification",
        category: User,
        priority: Medium,
        subject: "{userId}" => |e| e.user_id.clone(),
        final: false,
        required {
            user_id: String = "The recipient's `sub`.",
            notification_id: String = "The notification's id.",
            notification: Notification = "The notification.",
        }
        optional {}
    }
}
