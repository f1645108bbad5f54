// Leaves out of the JavaScript reference the members whose names start with "_": JavaScript has
// no private members, so the declarations carry the implementation's. `_update_messages` is
// public: the 0.0.6 API's name.
import { Converter, ReflectionKind } from "typedoc";

const PUBLIC = new Set(["_update_messages"]);

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const reflection of Object.values(project.reflections)) {
      if (reflection.kindOf(ReflectionKind.Property | ReflectionKind.Method | ReflectionKind.Accessor)
        && reflection.name.startsWith("_") && !PUBLIC.has(reflection.name)) {
        project.removeReflection(reflection);
      }
    }
  });
}
