using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace QuantGen.Generators
{
    /// <summary>Symbols and syntax of a [QuantizedModel] class -> <see cref="ClassModel"/> (no Roslyn object survives).</summary>
    internal static class Parser
    {
        public const string QuantizedModelAttribute = "QuantGen.QuantizedModelAttribute";
        public const string LayerOverrideAttribute = "QuantGen.LayerOverrideAttribute";

        public static ClassModel Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var symbol = (INamedTypeSymbol)context.TargetSymbol;
            var diagnostics = new List<DiagnosticInfo>();
            string sourceFile = context.TargetNode.SyntaxTree.FilePath;
            if (context.TargetNode is RecordDeclarationSyntax record)
            {
                // Records used to be ignored silently: say so, and emit nothing.
                LocationInfo? recordLocation = LocationInfo.From(record.Identifier.GetLocation());
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.RecordNotSupported, recordLocation, symbol.Name));
                return new ClassModel(symbol.ContainingNamespace?.IsGlobalNamespace == false ? symbol.ContainingNamespace.ToDisplayString() : null, symbol.Name, EquatableArray<string>.Empty, "public", string.Empty, recordLocation, sourceFile,
                    EquatableArray<OverrideModel>.Empty, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            var syntax = (ClassDeclarationSyntax)context.TargetNode;
            LocationInfo? classLocation = LocationInfo.From(syntax.Identifier.GetLocation());
            if (syntax.SyntaxTree.Options is CSharpParseOptions parse && parse.LanguageVersion < LanguageVersion.CSharp11)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.LanguageVersionTooLow, classLocation, symbol.Name, parse.LanguageVersion.ToDisplayString()));
            }

            if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.NotPartial, classLocation, symbol.Name));
            }

            if (symbol.TypeParameters.Length > 0)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.GenericNotSupported, classLocation, symbol.Name));
            }

            var containing = new List<string>();
            for (INamedTypeSymbol? t = symbol.ContainingType; t != null; t = t.ContainingType)
            {
                bool partial = t.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.ContainingTypeNotPartial, classLocation, symbol.Name, t.Name));
                }

                if (t.TypeParameters.Length > 0)
                {
                    diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.GenericNotSupported, classLocation, t.Name));
                }

                string kind = t.TypeKind == TypeKind.Struct ? (t.IsRecord ? "record struct" : "struct") : t.IsRecord ? "record" : t.TypeKind == TypeKind.Interface ? "interface" : "class";
                containing.Insert(0, (t.IsStatic ? "static " : string.Empty) + "partial " + kind + " " + t.Name);
            }

            string modelPath = string.Empty;
            LocationInfo? pathLocation = classLocation;
            AttributeData attribute = context.Attributes[0];
            if (attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax attrSyntax)
            {
                AttributeArgumentSyntax? arg = attrSyntax.ArgumentList?.Arguments.FirstOrDefault();
                pathLocation = LocationInfo.From(arg?.GetLocation() ?? attrSyntax.GetLocation());
            }

            DeclaredModel? declared = null;
            string? weights = attribute.NamedArguments.FirstOrDefault(kv => kv.Key == "Weights").Value.Value as string;
            if (attribute.ConstructorArguments.Length == 0 && weights != null && weights.Trim().Length > 0)
            {
                declared = DeclaredModel.Parse(symbol, weights, classLocation, diagnostics, cancellationToken);
                modelPath = weights;
            }
            else if (attribute.ConstructorArguments.Length == 0)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, pathLocation, "[QuantizedModel] needs a model path, e.g. [QuantizedModel(\"models/digits.qmodel.json\")], or Weights = \"...safetensors\" with [ModelInput] and [Dense] attributes"));
            }
            else if (attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string s && s.Trim().Length > 0)
            {
                modelPath = s;
            }
            else
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, pathLocation, "[QuantizedModel] needs the path of a .qmodel.json file, e.g. [QuantizedModel(\"models/digits.qmodel.json\")]"));
            }

            var overrides = new List<OverrideModel>();
            foreach (AttributeData a in symbol.GetAttributes())
            {
                if (a.AttributeClass?.ToDisplayString() != LayerOverrideAttribute)
                {
                    continue;
                }

                OverrideModel? o = ParseOverride(a, diagnostics, cancellationToken);
                if (o != null)
                {
                    overrides.Add(o);
                }
            }

            return new ClassModel(
                symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString(),
                symbol.Name,
                new EquatableArray<string>(containing),
                SyntaxFacts.GetText(symbol.DeclaredAccessibility),
                modelPath,
                pathLocation,
                syntax.SyntaxTree.FilePath,
                new EquatableArray<OverrideModel>(overrides),
                new EquatableArray<DiagnosticInfo>(diagnostics),
                declared,
                !(attribute.NamedArguments.FirstOrDefault(kv => kv.Key == "ConcurrencyCheck").Value.Value is bool check) || check);
        }

        private static OverrideModel? ParseOverride(AttributeData a, List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            var syntax = a.ApplicationSyntaxReference?.GetSyntax(ct) as AttributeSyntax;
            LocationInfo? location = LocationInfo.From(syntax?.GetLocation());
            LocationInfo? ArgLocation(string name) =>
                LocationInfo.From(syntax?.ArgumentList?.Arguments.FirstOrDefault(x => x.NameEquals?.Name.Identifier.Text == name)?.GetLocation()) ?? location;

            if (a.ConstructorArguments.Length != 1 || !(a.ConstructorArguments[0].Value is string layer) || layer.Length == 0)
            {
                diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, location, "[LayerOverride] needs the name of a layer of the model"));
                return null;
            }

            int weightBits = 0, activationBits = 0;
            bool? perChannel = null;
            string? method = null;
            bool ok = true;
            foreach (KeyValuePair<string, TypedConstant> kv in a.NamedArguments)
            {
                switch (kv.Key)
                {
                    case "WeightBits":
                        weightBits = (int)kv.Value.Value!;
                        if (weightBits < 2 || weightBits > 16)
                        {
                            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.BitWidthOutOfRange, ArgLocation(kv.Key), "WeightBits", weightBits.ToString(System.Globalization.CultureInfo.InvariantCulture), "2..16"));
                            ok = false;
                        }

                        break;
                    case "ActivationBits":
                        activationBits = (int)kv.Value.Value!;
                        if ((activationBits < 2 || activationBits > 16) && activationBits != 32)
                        {
                            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.BitWidthOutOfRange, ArgLocation(kv.Key), "ActivationBits", activationBits.ToString(System.Globalization.CultureInfo.InvariantCulture), "2..16 or 32"));
                            ok = false;
                        }

                        break;
                    case "PerChannel":
                        perChannel = (bool)kv.Value.Value!;
                        break;
                    case "Method":
                        method = kv.Value.Value as string;
                        if (method != "shiftmax" && method != "shiftgelu" && method != "ibert")
                        {
                            diagnostics.Add(new DiagnosticInfo(DiagnosticDescriptors.InvalidAttributeArgument, ArgLocation(kv.Key), $"Method \"{method}\" is not one of \"shiftmax\", \"shiftgelu\", \"ibert\""));
                            ok = false;
                        }

                        break;
                }
            }

            return ok ? new OverrideModel(layer, weightBits, activationBits, perChannel, method, location) : null;
        }
    }
}
