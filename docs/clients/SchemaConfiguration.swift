// Made by `hearth schema type-policies swift` from schema.graphql: do not edit.
// Every object with an id is normalized by it. Left out: User (a person is
// shown as each group shows them, so one id carries different names).
import ApolloAPI

public enum SchemaConfiguration: ApolloAPI.SchemaConfiguration {
  public static func cacheKeyInfo(for type: ApolloAPI.Object, object: ApolloAPI.ObjectData) -> CacheKeyInfo? {
    switch type.typename {
    case "Account",
         "Answer",
         "DataExport",
         "Device",
         "Group",
         "Meeting",
         "MeetingSeries",
         "ModLogEntry",
         "MoodCheckin",
         "MoodShare",
         "Notification",
         "Post",
         "Question",
         "QuestionReport",
         "Reply",
         "Report":
      return try? CacheKeyInfo(jsonValue: object["id"])
    default:
      return nil
    }
  }
}
