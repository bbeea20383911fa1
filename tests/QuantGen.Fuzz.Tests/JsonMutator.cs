using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuantGen.Fuzz.Tests
{
    /// <summary>Structure-aware JSON mutation: replace, delete, duplicate or deepen one value; rename a key.</summary>
    public static class JsonMutator
    {
        // Deep enough for the 300-level arrays the mutator inserts (the default of 64 made the mutator itself throw).
        private static readonly JsonSerializerOptions Compact = new JsonSerializerOptions { WriteIndented = false, MaxDepth = 4096 };

        public static string Mutate(Random rng, string json, int edits)
        {
            JsonNode root = JsonNode.Parse(json)!;
            for (int e = 0; e < edits; e++)
            {
                List<JsonNode> all = Walk(root).ToList();
                JsonNode target = rng.Pick(all);
                JsonNode? parent = target.Parent;
                switch (rng.Next(6))
                {
                    case 0 when parent != null:
                        Replace(target, RandomValue(rng, 0));
                        break;
                    case 1 when parent is JsonObject po:
                        po.Remove(PropertyName(po, target));
                        break;
                    case 2 when parent is JsonArray pa:
                        int i = pa.IndexOf(target);
                        pa.RemoveAt(i);
                        if (rng.Next(2) == 0)
                        {
                            pa.Insert(Math.Min(i, pa.Count), target.DeepClone());
                            pa.Insert(Math.Min(i, pa.Count), target.DeepClone());
                        }

                        break;
                    case 3 when parent is JsonObject po2:
                        string name = PropertyName(po2, target);
                        po2.Remove(name);
                        po2[rng.Next(2) == 0 ? name + "x" : Mutators.RandomString(rng)] = target;
                        break;
                    case 4 when target is JsonValue v && v.TryGetValue(out double d):
                        Replace(target, JsonValue.Create(rng.Next(3) == 0 ? rng.Pick(Mutators.InterestingDoubles) : (double)Mutators.InterestingInteger(rng) * (rng.Next(2) == 0 ? 1 : d)));
                        break;
                    case 5 when target is JsonValue:
                        Replace(target, JsonValue.Create(Mutators.RandomString(rng)));
                        break;
                    default:
                        if (target is JsonObject o)
                        {
                            o[Mutators.RandomString(rng)] = RandomValue(rng, 0);
                        }

                        break;
                }
            }

            return root.ToJsonString(Compact);
        }

        public static JsonNode RandomValue(Random rng, int depth)
        {
            switch (rng.Next(depth > 3 ? 4 : 7))
            {
                case 0:
                    return JsonValue.Create(Mutators.InterestingInteger(rng));
                case 1:
                    return JsonValue.Create(rng.Pick(Mutators.InterestingDoubles));
                case 2:
                    return JsonValue.Create(Mutators.RandomString(rng));
                case 3:
                    return JsonValue.Create(rng.Next(2) == 0);
                case 4:
                    var a = new JsonArray();
                    int n = rng.Next(0, 6);
                    for (int i = 0; i < n; i++)
                    {
                        a.Add(RandomValue(rng, depth + 1));
                    }

                    return a;
                case 5:
                    var o = new JsonObject();
                    o[Mutators.RandomString(rng)] = RandomValue(rng, depth + 1);
                    return o;
                default:
                    JsonNode inner = JsonValue.Create(1);
                    for (int i = 0; i < rng.Next(1, 300); i++)
                    {
                        inner = new JsonArray(inner);
                    }

                    return inner;
            }
        }

        private static IEnumerable<JsonNode> Walk(JsonNode node)
        {
            yield return node;
            if (node is JsonObject o)
            {
                foreach (KeyValuePair<string, JsonNode?> kv in o.ToList())
                {
                    if (kv.Value != null)
                    {
                        foreach (JsonNode c in Walk(kv.Value))
                        {
                            yield return c;
                        }
                    }
                }
            }
            else if (node is JsonArray a)
            {
                foreach (JsonNode? item in a.ToList())
                {
                    if (item != null)
                    {
                        foreach (JsonNode c in Walk(item))
                        {
                            yield return c;
                        }
                    }
                }
            }
        }

        private static string PropertyName(JsonObject parent, JsonNode child) => parent.First(kv => ReferenceEquals(kv.Value, child)).Key;

        private static void Replace(JsonNode target, JsonNode value)
        {
            switch (target.Parent)
            {
                case JsonObject o:
                    o[PropertyName(o, target)] = value;
                    break;
                case JsonArray a:
                    a[a.IndexOf(target)] = value;
                    break;
            }
        }
    }
}
