package dev.attest.reports;

import dev.attest.reports.model.PropertyResult;
import dev.attest.reports.model.Status;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * One JUnit XML file from the workers' files (one {@code <testsuite>} each, as JUnit's legacy reporter writes them),
 * under a {@code <testsuites>} root, plus a suite of the cells no worker's file holds: the {@code (worker)} and
 * {@code (discovery)} failures and the cells of a worker that ended before writing its file. A CI that reads only the
 * XML sees those too, not just the properties that happened to finish.
 */
final class JunitXml {
    private JunitXml() {
    }

    static String merge(List<Path> files, List<PropertyResult> cells) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            DocumentBuilder builder = factory.newDocumentBuilder();
            Document out = builder.newDocument();
            Element root = out.createElement("testsuites");
            out.appendChild(root);
            for (Path file : files) {
                Element suite = builder.parse(file.toFile()).getDocumentElement();
                root.appendChild(out.importNode(suite, true));
            }
            if (!cells.isEmpty()) {
                Element suite = out.createElement("testsuite");
                suite.setAttribute("name", "attest workers");
                suite.setAttribute("tests", Integer.toString(cells.size()));
                suite.setAttribute("failures", Long.toString(cells.stream().filter(r -> r.status() == Status.FAIL)
                        .count()));
                suite.setAttribute("errors", "0");
                suite.setAttribute("skipped", Long.toString(cells.stream().filter(r -> r.status() != Status.FAIL
                        && r.status() != Status.PASS).count()));
                for (PropertyResult r : cells) {
                    Element test = out.createElement("testcase");
                    test.setAttribute("name", r.property());
                    test.setAttribute("classname", r.backend());
                    if (r.status() != Status.PASS) {
                        Element outcome = out.createElement(r.status() == Status.FAIL ? "failure" : "skipped");
                        String text = r.message() == null ? r.status().label() : r.message();
                        outcome.setAttribute("message", text.lines().findFirst().orElse(r.status().label()));
                        outcome.setTextContent(text);
                        test.appendChild(outcome);
                    }
                    suite.appendChild(test);
                }
                root.appendChild(suite);
            }
            var transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.INDENT, "no");
            StringWriter text = new StringWriter();
            transformer.transform(new DOMSource((Node) out), new StreamResult(text));
            return text + "\n";
        } catch (Exception e) {
            throw new RunFailure("cannot merge the workers' JUnit XML: " + e.getMessage(), e);
        }
    }
}
